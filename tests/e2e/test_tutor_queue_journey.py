"""A tutor clears a queue of twenty items: the first with two clicks ("mark all met", "save and
open the next"), the rest by keyboard alone; then signs the finished unit from the queue."""

import pytest
from playwright.sync_api import expect

from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, UnitSignOff
from qualifications.models import AwardingBody, Qualification, QualificationUnit, UnitGroup
from tests.moderation.conftest import Catalogue, add_evidence, criteria, enrol
from tests.portfolios.helpers import make_unit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _queue(centre, learner, tutor, centre_admin, *, items):
    """Alice's portfolio: unit A of six criteria, unit B of four. The first item covers the
    whole of unit A; the others one or two criteria of unit B each."""
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(qualification=qualification, name="Mandatory")
    unit_a = make_unit("A/100/0001", "Deliver customer service", outcomes=2, criteria=3)
    unit_b = make_unit("A/100/0002", "Communicate with customers", outcomes=2, criteria=2)
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
    b = criteria(unit_b)
    add_evidence(enrolment, learner, criteria_list=criteria(unit_a), title="Shift log")
    for n in range(1, items):
        mapped = [b[n % 4]] if n % 2 else [b[n % 4], b[(n + 1) % 4]]
        add_evidence(enrolment, learner, criteria_list=mapped, title=f"Call {n}")
    return enrolment, unit_a


def _open_first(page, live_server, sign_in, password):
    sign_in("bob", password)
    page.goto(f"{live_server.url}/moderation/queue/")
    page.get_by_role("link", name="Assess").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shift log")


def test_tutor_clears_a_queue_of_twenty_with_the_keyboard(
    page, live_server, sign_in, centre, learner, tutor, centre_admin, password
):
    page.set_viewport_size({"width": 1366, "height": 900})
    enrolment, unit_a = _queue(centre, learner, tutor, centre_admin, items=20)
    _open_first(page, live_server, sign_in, password)

    # Six criteria, all met: two actions.
    actions = 0
    page.get_by_role("button", name="Mark all mapped criteria met").click()
    actions += 1
    page.get_by_role("button", name="Save and open the next in my queue").click()
    actions += 1
    assert actions <= 3
    expect(page.get_by_text("6 decisions recorded on E001: 6 met, 0 not yet met.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Call 1")

    # The other nineteen by keyboard: A (all met), S (save and open the next).
    for n in range(1, 20):
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Call {n}")
        page.keyboard.press("a")
        page.keyboard.press("s")
        page.wait_for_load_state()
    expect(page.get_by_test_id("queue-count")).to_have_text("0 items, oldest first")
    assert CriterionDecision.objects.filter(enrolment=enrolment).count() == 6 + sum(
        1 if n % 2 else 2 for n in range(1, 20)
    )
    assert set(CriterionDecision.objects.values_list("outcome", flat=True)) == {DecisionOutcome.MET}

    # Both units are ready; unit A is signed from the queue.
    ready = page.get_by_test_id("ready-to-sign")
    expect(ready).to_contain_text("Deliver customer service")
    ready.get_by_text("Deliver customer service").click()
    form = page.get_by_test_id(f"sign-{enrolment.pk}-{unit_a.pk}")
    form.get_by_label("Tutor comments").fill("All six met by the shift log.")
    form.get_by_label("Your password").fill(password)
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("is signed off and locked")).to_be_visible()
    assert UnitSignOff.objects.get(enrolment=enrolment).unit == unit_a
    expect(page.get_by_test_id("ready-to-sign")).not_to_contain_text("Deliver customer service")


def test_keys_decide_one_criterion_at_a_time_on_a_phone(
    page, live_server, sign_in, centre, learner, tutor, centre_admin, password
):
    page.set_viewport_size({"width": 390, "height": 844})
    unit_a = _queue(centre, learner, tutor, centre_admin, items=2)[1]
    _open_first(page, live_server, sign_in, password)
    *met, last = criteria(unit_a)

    # M on each criterion in turn; N on the last, which puts the cursor in its feedback box.
    for _ in met:
        page.keyboard.press("m")
    page.keyboard.press("n")
    feedback = page.get_by_test_id(f"criterion-{last.pk}").get_by_role("textbox")
    expect(feedback).to_be_focused()
    page.keyboard.type("Name the customer.")
    page.get_by_role("button", name="Record decisions").click()
    expect(page.get_by_text("6 decisions recorded on E001: 5 met, 1 not yet met.")).to_be_visible()

    # The keys can be turned off, and stay off.
    page.get_by_label("Use these keys").uncheck()
    page.reload()
    expect(page.get_by_label("Use these keys")).not_to_be_checked()
    page.keyboard.press("s")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shift log")
    assert not page.evaluate("document.documentElement.scrollWidth > 390")
