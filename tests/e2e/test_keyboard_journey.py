"""By keyboard alone: the learner uploads evidence, maps it and submits it; the tutor decides.

Only `page.keyboard` moves and acts (Tab, Shift+Tab, Enter, Space, arrows, typing); the one
exception is the file chooser, which no browser opens headless: its input is reached by Tab
and then given the file. Each control must show its focus ring when reached. axe-core checks
every page on the way (tests/e2e/axe.py), at a laptop's width and at a phone's."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, Evidence
from qualifications.models import EvidenceMethod
from tests.moderation.conftest import criteria, enrol

pytestmark = pytest.mark.django_db(transaction=True)

FOCUS_RING = """e => {
    // A radio drawn as a button (.btn-check) is hidden; its label shows the focus.
    const shown = e.classList.contains("btn-check") ? e.nextElementSibling : e;
    const style = getComputedStyle(shown);
    return style.outlineStyle === "solid" && parseFloat(style.outlineWidth) >= 2;
}"""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def tab_to(page: Page, target: Locator, *, key: str = "Tab", limit: int = 60):
    """Presses Tab (or Shift+Tab) until `target` has the focus; fails if it never gets it."""
    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            assert target.evaluate(FOCUS_RING), f"{target} has the focus but shows no ring"
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reaches {target}")


def sign_in_by_keyboard(page: Page, url: str, username: str, password: str):
    page.goto(f"{url}/accounts/login/")
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type(username)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


@pytest.mark.parametrize("width", [1366, 390])
def test_learner_uploads_maps_submits_and_tutor_decides_by_keyboard(
    page, live_server, password, catalogue, centre, learner, tutor, centre_admin, width
):
    page.set_viewport_size({"width": width, "height": 800})
    enrolment = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    # Transactional tests empty the tables between tests, data migrations' rows included.
    EvidenceMethod.objects.get_or_create(
        slug="reflective-account", defaults={"name": "Reflective account"}
    )
    first, second = criteria(catalogue.unit_a)[:2]

    # The learner: a new item with a file.
    sign_in_by_keyboard(page, live_server.url, "alice", password)
    tab_to(page, page.get_by_role("link", name="Add evidence").first)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Brief title"))
    page.keyboard.type("Shift log")
    method = page.get_by_label("Evidence method")
    tab_to(page, method)
    page.keyboard.type("Reflective")
    expect(method.locator("option:checked")).to_have_text("Reflective account")
    files = page.locator("input[type=file]")
    tab_to(page, files)
    files.set_input_files(
        [{"name": "shift-log.txt", "mimeType": "text/plain", "buffer": b"Tuesday: 40 calls."}]
    )
    expect(page.locator("[data-file-list] li")).to_have_count(1)
    tab_to(page, page.get_by_role("button", name="Save and choose criteria"))
    page.keyboard.press("Enter")

    # ... mapped to two criteria: Enter opens the unit, Space ticks.
    expect(page.get_by_role("heading", name=re.compile("Which criteria does E001"))).to_be_visible()
    unit = page.get_by_test_id(f"map-unit-{catalogue.unit_a.pk}")
    tab_to(page, unit.locator("> summary"))
    page.keyboard.press("Enter")
    expect(unit).to_have_attribute("open", "")
    for criterion in (first, second):
        box = page.locator(f"#criterion-{criterion.pk}")
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    tab_to(page, page.get_by_role("button", name="Save criteria").last)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("evidence-state")).to_have_text("Draft")

    # ... and submitted with the declaration, from the portfolio.
    tab_to(page, page.get_by_role("link", name=learner.get_full_name()).first)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=re.compile(r"Submit evidence \(1\)")))
    page.keyboard.press("Enter")
    declaration = page.get_by_label(re.compile("I declare that this evidence is my own work"))
    tab_to(page, declaration)
    page.keyboard.press("Space")
    expect(declaration).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Submit for assessment"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 item submitted for assessment.")).to_be_visible()
    page.context.clear_cookies()

    # The tutor: 1.1 met, 1.2 not yet met with feedback, in one go.
    sign_in_by_keyboard(page, live_server.url, "bob", password)
    tab_to(page, page.get_by_role("link", name=re.compile("^Assess E001")))
    page.keyboard.press("Enter")
    for criterion, presses in ((first, 1), (second, 2)):
        row = page.get_by_test_id(f"criterion-{criterion.pk}")
        tab_to(page, row.get_by_role("radio", name="Not now"))
        for _ in range(presses):
            page.keyboard.press("ArrowRight")
    expect(
        page.get_by_test_id(f"criterion-{first.pk}").get_by_role("radio", name="Met", exact=True)
    ).to_be_checked()
    expect(
        page.get_by_test_id(f"criterion-{second.pk}").get_by_role("radio", name="Not yet met")
    ).to_be_checked()
    tab_to(page, page.get_by_label(f"Feedback on {second.shown_number}"))
    page.keyboard.type("Say how you checked the caller's details.")
    tab_to(page, page.get_by_role("button", name="Record decisions"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("2 decisions recorded on E001: 1 met, 1 not yet met.")).to_be_visible()

    evidence = Evidence.objects.get(enrolment=enrolment)
    assert evidence.submitted_at is not None
    assert list(evidence.files.values_list("name", flat=True)) == ["shift-log.txt"]
    decisions = CriterionDecision.objects.filter(enrolment=enrolment).order_by(
        "criterion__sort_key"
    )
    assert [(d.criterion_id, d.outcome, d.feedback) for d in decisions] == [
        (first.pk, DecisionOutcome.MET, ""),
        (second.pk, DecisionOutcome.NOT_YET_MET, "Say how you checked the caller's details."),
    ]
    assert decisions[0].decided_on == timezone.localdate()
