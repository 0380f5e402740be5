"""A tutor asks a workplace witness for testimony; the witness, with no account, opens the
e-mailed link, fills it in and confirms; the link then refuses a second use. On a desktop
(1366 px) and a phone (390 px)."""

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from portfolios import services
from portfolios.models import Evidence, WitnessTestimony
from qualifications.enums import STANDARD_EVIDENCE_METHODS
from qualifications.models import EvidenceMethod
from tests.portfolios.helpers import make_unit

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+/portfolios/witness/[^/\s]+/")


@pytest.fixture
def enrolment(centre, learner, tutor, centre_admin):
    for position, (slug, name) in enumerate(STANDARD_EVIDENCE_METHODS):
        EvidenceMethod.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
    unit = make_unit("J/100/0009", "Customer service operations", outcomes=1, criteria=2)
    return services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[unit],
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=centre_admin,
    )


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1366, 390])
def test_a_witness_gives_testimony_once(page, sign_in, password, live_server, enrolment, width):
    page.set_viewport_size({"width": width, "height": 900})
    violations = []
    page.on("console", lambda msg: violations.append(msg.text))
    criterion = enrolment.units.get().criteria.order_by("sort_key").first()

    # The tutor asks, from the learner's portfolio.
    sign_in("bob", password)
    page.goto(f"{live_server.url}/portfolios/{enrolment.pk}/")
    page.get_by_role("link", name="Ask a witness").click()
    page.get_by_label("Witness's e-mail").fill("jane.witness@example.com")
    page.get_by_label("The link works for (days)").fill("7")
    page.get_by_label(f"{criterion.shown_number} {criterion.text}").check()
    _fits(page, width)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_test_id("witness-requests")).to_contain_text("Waiting")
    link = LINK.search(mail.outbox[-1].body)[0]
    page.context.clear_cookies()

    # The witness, with no account, opens the link.
    page.goto(link)
    expect(page.get_by_role("heading", name="Witness testimony for Alice")).to_be_visible()
    expect(page.get_by_text(criterion.text)).to_be_visible()
    expect(page.get_by_text("Alicefield")).to_have_count(0)
    _fits(page, width)
    page.get_by_label("Your full name").fill("Jane Witness")
    page.get_by_label("Your job title").fill("Front desk supervisor")
    page.get_by_label("Your relationship to the learner").fill("Line manager for two years")
    page.get_by_label("What you saw the learner do").fill("She calmed an angry guest.")
    page.get_by_role("button", name="Send my testimony").click()
    # Not confirmed yet: sent back, nothing saved.
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    assert WitnessTestimony.objects.count() == 0
    page.get_by_label(re.compile("I confirm that I saw the learner")).check()
    page.get_by_role("button", name="Send my testimony").click()
    expect(page.get_by_test_id("witness-thanks")).to_contain_text(
        "Your testimony for Alice was received"
    )
    _fits(page, width)
    evidence = Evidence.objects.get(method__slug="witness-testimony")
    assert evidence.submitted_at is not None
    assert evidence.text == "She calmed an angry guest."

    # The link works once.
    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_test_id("witness-gone")).to_contain_text("This link has been used")
    _fits(page, width)
    assert WitnessTestimony.objects.count() == 1
    assert [v for v in violations if "Content Security Policy" in v] == []
