"""The import preview in Debian's Chromium: split a row at the cursor, add a row, save."""

import os

import pytest
from playwright.sync_api import expect

from qualifications.models import Unit

# As in tests/e2e: Playwright runs an event loop in the test thread; the ORM calls from
# fixtures are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SPEC = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the procedures Explain why enquiries matter
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
    }


def test_admin_splits_a_row_at_the_cursor_and_saves(page, live_server, centre_admin, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(centre_admin.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/catalogue/import/")
    page.get_by_label("Paste the specification's text").fill(SPEC)
    page.get_by_role("button", name="Recognise").click()

    page.get_by_text("Outcomes and criteria: correct them before saving").click()
    text = page.locator('textarea[name="unit-0-rows-0-text"]')
    text.evaluate(
        "(el) => { const at = el.value.indexOf('Explain'); el.focus();"
        " el.setSelectionRange(at, at); }"
    )
    page.get_by_role("button", name="Split at the cursor").first.click()
    expect(page.locator('input[name="unit-0-rows-2-number"]')).to_have_value("1.2")
    expect(page.locator('textarea[name="unit-0-rows-2-text"]')).to_have_value(
        "Explain why enquiries matter"
    )
    page.get_by_role("button", name="Save to the catalogue").click()

    expect(page.get_by_text("Imported 1 unit(s)")).to_be_visible()
    unit = Unit.objects.get(code="D/601/1234")
    assert list(unit.criteria.values_list("number", "text")) == [
        ("1.1", "Describe the procedures"),
        ("1.2", "Explain why enquiries matter"),
    ]
