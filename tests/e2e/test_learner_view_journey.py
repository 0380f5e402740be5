"""The learner's view of a judgement in the browser, on a laptop (1366 px) and a phone
(390 px): the notice names the item, the item says what was not yet met, with the tutor's
feedback, and "Add evidence" starts a new item on that criterion."""

import pytest
from playwright.sync_api import expect

from accounts.models import Notification
from portfolios.enums import DecisionOutcome
from tests.moderation.conftest import Catalogue, add_evidence, criteria, decide, enrol
from tests.portfolios.helpers import make_unit

pytestmark = pytest.mark.django_db(transaction=True)

FEEDBACK = "Say which procedure you followed and why."


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def judged(centre, learner, tutor, centre_admin):
    """Alice's E001 covers 1.1 and 1.2 of unit A: 1.1 met, 1.2 not yet met, with feedback."""
    from qualifications.models import AwardingBody, Qualification, QualificationUnit, UnitGroup

    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory", is_mandatory=True
    )
    unit_a = make_unit("A/100/0001", "Deliver customer service", outcomes=1, criteria=3)
    unit_b = make_unit("A/100/0002", "Communicate with customers", outcomes=1, criteria=2)
    for position, unit in enumerate([unit_a, unit_b]):
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    enrolment = enrol(
        Catalogue(qualification, unit_a, unit_b),
        centre=centre,
        learner=learner,
        tutor=tutor,
        by=centre_admin,
    )
    first, second, _ = criteria(unit_a)
    item = add_evidence(enrolment, learner, criteria_list=[first, second], title="Shift log")
    decide(enrolment, tutor, [first], evidence=item)
    decide(
        enrolment, tutor, [second], DecisionOutcome.NOT_YET_MET, evidence=item, feedback=FEEDBACK
    )
    return enrolment, item, second


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)], ids=["laptop", "phone"])
def test_learner_reads_the_judgement_and_acts_on_it(
    page, live_server, sign_in, judged, learner, password, width, height, tmp_path
):
    enrolment, item, not_met = judged
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    page.set_viewport_size({"width": width, "height": height})
    sign_in(learner.username, password)

    # The notice names the item; following it opens the item and clears the notice.
    page.goto(f"{live_server.url}/moderation/notifications/")
    # The older notice of the item (1.1 met) gave way to this one: it shows as read.
    message = "E001 Shift log assessed by Bob Bobfield: 1 criterion not yet met (1.2)."
    notice = page.get_by_role("button", name=message, exact=True)
    expect(notice).to_have_class("btn btn-link p-0 text-start fw-semibold")
    notice.click()
    expect(page).to_have_url(f"{live_server.url}/portfolios/evidence/{item.pk}/")
    assert Notification.objects.unread().filter(recipient=learner).count() == 0

    expect(page.get_by_test_id("evidence-state")).to_have_text("Action needed")
    expect(page.get_by_test_id("action-needed")).to_contain_text(
        "Action needed: 1 criterion not yet met"
    )
    expect(page.get_by_test_id(f"outcome-{not_met.pk}")).to_have_text("Not yet met")
    expect(page.get_by_test_id(f"feedback-{not_met.pk}")).to_have_text(FEEDBACK)
    expect(page.get_by_test_id(f"decided-{not_met.pk}")).to_contain_text("Bob Bobfield")
    expect(page.get_by_text("SHA-256")).to_have_count(0)
    # Nothing runs off the side of a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=tmp_path / f"learner-view-{width}.png", full_page=True)

    page.get_by_test_id("add-for-action").click()
    expect(page.get_by_test_id("chosen-criteria")).to_have_text(
        "This item will cover A/100/0001 1.2. You can change that on the next page."
    )

    # The portfolio shows the one measure, with its numbers.
    page.goto(f"{live_server.url}/portfolios/{enrolment.pk}/")
    expect(page.get_by_test_id("overall-progress-numbers")).to_have_text(
        "1 met · 1 evidenced · 3 to do of 5 criteria"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert [m for m in console if "Content Security Policy" in m] == []
