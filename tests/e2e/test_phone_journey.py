"""Every page a learner opens, on a 390 px phone: nothing scrolls sideways, not even a table in
its box; every status badge shows whole; criteria tables are stacked cards. axe-core checks each
page (tests/e2e/axe.py)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership
from portfolios.enums import DecisionOutcome
from tests.e2e.waits import wait_for_fragments
from tests.moderation.conftest import add_evidence, criteria, decide, enrol, sign

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

# A badge is cut off when any part of it lies outside the screen or is clipped by its box.
BADGES_CUT_OFF = """() => [...document.querySelectorAll('main .badge')]
    .filter(b => b.getClientRects().length)
    .filter(b => {
        const r = b.getBoundingClientRect();
        return r.left < 0 || r.right > document.documentElement.clientWidth + 0.5
            || b.scrollWidth > b.clientWidth + 1;
    })
    .map(b => b.outerHTML)"""
# A table that fits only by scrolling sideways inside its own box does not fit either.
TABLES_SCROLLING = """() => [...document.querySelectorAll('.table-responsive')]
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => box.querySelector('table').outerHTML.slice(0, 120))"""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def learner_pages(catalogue, centre, learner, tutor, centre_admin):
    """Alice's portfolio with something in every state: unit A met and signed off (to
    acknowledge), B 1.1 not yet met with feedback, a draft mapped to B 1.2, long criteria."""
    enrolment = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    unit_a, unit_b = catalogue.unit_a, catalogue.unit_b
    for criterion in criteria(unit_b):
        criterion.text = (
            "Explain, with examples drawn from your own workplace, how organisational "
            "procedures for handling customer information and complaints are applied"
        )
        criterion.save()
    submitted = add_evidence(
        enrolment, learner, criteria_list=criteria(unit_a) + criteria(unit_b)[:1]
    )
    decide(enrolment, tutor, criteria(unit_a), evidence=submitted)
    decide(enrolment, tutor, criteria(unit_b)[:1], DecisionOutcome.NOT_YET_MET)
    sign(enrolment, unit_a, tutor)
    draft = add_evidence(
        enrolment,
        learner,
        criteria_list=criteria(unit_b)[1:],
        title="Witness statement from the shift supervisor",
        submit=False,
    )
    membership = Membership.objects.get(user=learner, centre=centre)
    return {
        "dashboard": membership.get_absolute_url(),
        "portfolio": reverse("portfolio", args=[enrolment.pk]),
        "evidence list": reverse("evidence_list", args=[enrolment.pk]),
        "add evidence": reverse("evidence_create", args=[enrolment.pk]),
        "submitted evidence": reverse("evidence_detail", args=[submitted.pk]),
        "draft evidence": reverse("evidence_detail", args=[draft.pk]),
        "edit draft": reverse("evidence_update", args=[draft.pk]),
        "map draft": reverse("evidence_map", args=[draft.pk]),
        "submit": reverse("enrolment_submit", args=[enrolment.pk]),
        "record": reverse("moderation:enrolment_record", args=[enrolment.pk]),
        "unit record": reverse("moderation:unit_record", args=[enrolment.pk, unit_a.pk]),
        "criterion": reverse(
            "moderation:criterion_detail", args=[enrolment.pk, criteria(unit_b)[0].pk]
        ),
        "notifications": reverse("moderation:notification_list"),
        "invitations": reverse("invitation_list"),
        "password": reverse("password_change"),
        "two-factor": reverse("two_factor"),
    }


def test_every_learner_page_fits_a_phone(page, live_server, sign_in, password, learner_pages):
    page.set_viewport_size(PHONE)
    sign_in("alice", password)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("My portfolio")
    problems = []
    for name, path in learner_pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, name
        wait_for_fragments(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{name} ({path}) is {width} px wide")
        scrolling = page.evaluate(TABLES_SCROLLING)
        if scrolling:
            problems.append(f"{name} ({path}) scrolls sideways in {scrolling}")
        cut_off = page.evaluate(BADGES_CUT_OFF)
        if cut_off:
            problems.append(f"{name} ({path}) cuts off {cut_off}")
    assert problems == []


def test_criteria_tables_are_cards_on_a_phone(
    page, live_server, sign_in, password, learner_pages, catalogue
):
    page.set_viewport_size(PHONE)
    sign_in("alice", password)
    page.goto(f"{live_server.url}{learner_pages['portfolio']}")
    first_b = criteria(catalogue.unit_b)[0]
    status = page.get_by_test_id(f"status-{first_b.pk}")
    expect(status).to_have_text("Not yet met")
    status.scroll_into_view_if_needed()
    expect(status).to_be_in_viewport(ratio=1)
    row = page.locator(".criteria-table tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    # Each cell says what it is, as the hidden column headings would.
    cell = page.locator(f".criteria-table td:has([data-testid=status-{first_b.pk}])")
    assert cell.evaluate("c => getComputedStyle(c, '::before').content") == '"Status"'
    # The criterion's text wraps across the card's width, not one word a line.
    text_cell = page.locator(".criteria-table tbody tr td:nth-of-type(1)").first
    assert text_cell.bounding_box()["width"] >= 300

    # The same table on a laptop is a table.
    page.set_viewport_size({"width": 1366, "height": 768})
    assert row.evaluate("r => getComputedStyle(r).display") == "table-row"
    assert cell.evaluate("c => getComputedStyle(c, '::before').content") == "none"
