"""WeasyPrint fetches nothing but the project's own static files."""

import datetime

import pytest
from django.urls import reverse

from checklists.data import filled_for_enrolment
from checklists.enums import Layout
from checklists.fetcher import PRINT_ORIGIN, FetchRefused, StaticOnlyFetcher
from checklists.pdf import checklist_html, render_checklist
from portfolios.selectors import get_enrolment_for_user
from tests.checklists.helpers import add_evidence, pdf_text, squash

HOSTILE_TITLE = 'Log <img src="file:///etc/passwd"> see http://attacker.example/x.png'
HOSTILE_TEXTS = [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://attacker.example/steal.css">',
    "<style>@import url(http://attacker.example/a.css); body{background:url(file:///etc/hosts)}"
    "</style>",
    '<object data="https://attacker.example/x.svg"></object>',
    '<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>',
]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://attacker.example/x.png",
        "https://attacker.example/static/css/app.css",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://attacker.example/x",
        f"{PRINT_ORIGIN}/static/../../../etc/passwd",
        f"{PRINT_ORIGIN}/static/%2e%2e/%2e%2e/etc/passwd",
        f"{PRINT_ORIGIN}/static/css/app.css?x=1",
        f"{PRINT_ORIGIN}/etc/passwd",
        f"{PRINT_ORIGIN}/static/js/app.js",
        f"{PRINT_ORIGIN}/static/css/missing.css",
        f"{PRINT_ORIGIN}@attacker.example/static/css/app.css",
    ],
)
def test_fetcher_refuses_anything_but_a_static_file(url):
    fetcher = StaticOnlyFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.requested == [url]
    assert fetcher.served == []
    assert fetcher.refused == [url]


def test_fetcher_serves_the_projects_own_stylesheet():
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch(f"{PRINT_ORIGIN}/static/css/app.css")
    try:
        body = response.read()
    finally:
        response.close()
    assert b".card-stat" in body
    assert response.content_type == "text/css"
    assert fetcher.served == [f"{PRINT_ORIGIN}/static/css/app.css"]


def test_fetcher_follows_no_redirect_and_opens_no_url_itself():
    """The parent's urllib machinery is configured with no protocol and no redirect handler."""
    fetcher = StaticOnlyFetcher()
    assert fetcher._allowed_protocols == ()
    handler_names = {type(h).__name__ for h in fetcher.handlers}
    assert "HTTPRedirectHandler" not in handler_names


@pytest.mark.parametrize("layout", list(Layout))
def test_hostile_evidence_text_fetches_nothing_and_prints_escaped(
    layout, enrolment, catalogue, named_people, centre_admin
):
    learner, _ = named_people
    add_evidence(
        enrolment,
        by=learner,
        title=HOSTILE_TITLE[:200],
        criteria=catalogue.criteria(0)[:1],
        date=datetime.date(2026, 2, 3),
    )
    for text in HOSTILE_TEXTS:
        add_evidence(enrolment, by=learner, title=text[:200], criteria=[catalogue.criteria(1)[0]])
    document = filled_for_enrolment(get_enrolment_for_user(centre_admin, enrolment.pk), layout)

    html = "".join(checklist_html(document, i) for i in range(len(document.units)))
    assert "<img" not in html and "<iframe" not in html and "<object" not in html
    assert "<link" not in html and "<style" not in html

    fetcher = StaticOnlyFetcher()
    pdf = render_checklist(document, url_fetcher=fetcher)

    assert fetcher.requested == []
    assert fetcher.served == []
    if layout == Layout.ACHIEVEMENT:
        # This form prints evidence titles: the markup shows as the text it is.
        text = pdf_text(pdf)
        assert squash('<img src="file:///etc/passwd">') in text
        assert squash("http://attacker.example/x.png") in text
        assert "root:x:0:0" not in text


def test_a_url_in_the_template_would_go_through_the_fetcher_and_be_refused(
    enrolment, centre_admin, settings, tmp_path
):
    """Proof that the fetcher really is WeasyPrint's only way out: feed it HTML with URLs."""
    from weasyprint import HTML

    fetcher = StaticOnlyFetcher()
    source = (
        '<img src="file:///etc/passwd"><img src="http://attacker.example/x.png">'
        '<link rel="stylesheet" href="https://attacker.example/a.css">'
        '<img src="/static/css/app.css">'
    )
    HTML(string=source, base_url=f"{PRINT_ORIGIN}/", url_fetcher=fetcher).write_pdf()
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://attacker.example/x.png" in fetcher.refused
    assert "https://attacker.example/a.css" in fetcher.refused
    assert fetcher.served == [f"{PRINT_ORIGIN}/static/css/app.css"]


def test_print_view_escapes_and_fetches_nothing(client, enrolment, catalogue, named_people):
    learner, _ = named_people
    add_evidence(enrolment, by=learner, title=HOSTILE_TITLE, criteria=catalogue.criteria(0)[:1])
    client.force_login(learner)
    response = client.get(reverse("checklist_enrolment", args=[enrolment.pk, "achievement"]))
    assert response.status_code == 200
    assert squash('<img src="file:///etc/passwd">') in pdf_text(response.content)
