"""The axe-core check every journey runs (tests/e2e/axe.py) finds what it should, on pages left
by `goto`, by a click and by a key, and names the rule, impact, element and page."""

import pytest

from tests.e2e.axe import AxeWatch

pytestmark = pytest.mark.django_db(transaction=True)

BAD = """<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
<h1>Probe</h1><img src="/static/none.png" id="no-alt">
<form><input type="text" id="unlabelled"></form>
<p>Go on to the <a href="/probe/next/" id="next">next page</a> when ready.</p>
</main></body></html>"""
GOOD = """<!doctype html><html lang="en"><head><title>Good</title></head><body><main>
<h1>Fine</h1><p>Go back to the <a href="/probe/bad/">first page</a> if need be.</p>
</main></body></html>"""


@pytest.fixture
def probe(context, live_server, monkeypatch):
    """A page outside the journeys' own `page` fixture (which would fail this test at its end),
    with two made-up pages served in place of the app's."""
    page = context.new_page()
    pages = {"/probe/bad/": BAD, "/probe/next/": GOOD}
    page.route(
        f"{live_server.url}/probe/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=pages[route.request.url.removeprefix(live_server.url)],
        ),
    )
    watch = AxeWatch(page, live_server.url)
    watch.start(monkeypatch)
    yield page, watch
    monkeypatch.undo()


def test_a_page_left_by_a_click_is_checked_before_it_goes(probe, live_server):
    page, watch = probe
    page.goto(f"{live_server.url}/probe/bad/")
    page.locator("#next").click()
    page.wait_for_url("**/probe/next/")
    assert watch.checked == [f"{live_server.url}/probe/bad/"]
    found = {(v.rule, v.impact, v.url, tuple(v.targets)) for v in watch.violations}
    assert found == {
        ("image-alt", "critical", "/probe/bad/", ("#no-alt",)),
        ("label", "critical", "/probe/bad/", ("#unlabelled",)),
    }
    report = watch.report()
    assert report.startswith("2 serious or critical accessibility violations:")
    assert "image-alt (critical) on /probe/bad/: #no-alt" in report


def test_pages_left_by_goto_and_by_keyboard_are_checked_and_clean_ones_pass(probe, live_server):
    page, watch = probe
    page.goto(f"{live_server.url}/probe/next/")
    page.goto(f"{live_server.url}/probe/bad/")
    page.locator("#next").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/probe/next/")
    watch.check()
    assert watch.checked == [
        f"{live_server.url}/probe/next/",
        f"{live_server.url}/probe/bad/",
        f"{live_server.url}/probe/next/",
    ]
    assert {v.url for v in watch.violations} == {"/probe/bad/"}
