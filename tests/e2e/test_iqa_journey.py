"""The internal moderator's screen in the browser, at 1366 px and on a 390 px phone: planned
sample dates and overdue samples, the grid's labelled buttons, the evidence beside the tutor's
decisions and the VACS checklist, and a second plan for a tutor pointing to the first."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from moderation import services
from moderation.models import PlannedSample, SampleDecision
from tests.moderation.conftest import Catalogue, add_evidence, criteria, enrol
from tests.portfolios.helpers import make_unit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed(centre, learner, tutor, internal_moderator, centre_admin, password):
    """Alice's unit A, evidenced by a shift log, decided met and signed by bob; a sampling plan
    of bob's learners (all of them, every unit)."""
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
    catalogue = Catalogue(qualification, unit_a, unit_b)
    enrolment = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    evidence = add_evidence(enrolment, learner, criteria_list=criteria(unit_a), title="Shift log")
    services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[
            services.DecisionRequest(criterion_id=c.pk, outcome="met") for c in criteria(unit_a)
        ],
        evidence=evidence,
    )
    services.unit_sign_off(
        enrolment=enrolment, unit=unit_a, by=tutor, comments="All met.", password=password
    )
    plan = services.plan_save(
        centre=centre,
        by=internal_moderator,
        tutor=tutor,
        qualification=qualification,
        learner_rate=100,
        unit_rate=100,
        include_interim=True,
        include_summative=True,
    )
    return enrolment, unit_a, evidence, plan


def _target_size(locator):
    box = locator.bounding_box()
    return box["width"], box["height"]


def _no_csp_violations(messages):
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_iqa_plans_a_date_samples_from_the_grid_and_refers_with_vacs(
    page, live_server, sign_in, signed, tutor, password
):
    enrolment, unit, evidence, plan = signed
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in("ivy", password)

    # The plan's page: a planned date that has passed is flagged overdue, here and on the
    # dashboard.
    page.get_by_role("link", name="Sampling plans").click()
    page.get_by_role("link", name=str(tutor)).click()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("Planned sample date for Alice Alicefield").fill(yesterday.isoformat())
    page.get_by_role("button", name="Save the planned dates").click()
    expect(page.get_by_text("The planned sample dates are saved.")).to_be_visible()
    expect(page.get_by_test_id(f"overdue-{enrolment.pk}")).to_have_text(
        f"Overdue since {yesterday.day} {yesterday:%b %Y}"
    )
    assert PlannedSample.objects.get().planned_on == yesterday

    # The grid's targets are buttons with names and at least 24 px each way.
    sample = page.get_by_role(
        "link", name=f"Sample unit {unit.code} for Alice Alicefield: summative, due"
    )
    expect(sample).to_have_text(re.compile(r"^Sample"))
    width, height = _target_size(sample)
    assert width >= 24 and height >= 24
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id(f"overdue-count-{plan.pk}")).to_have_text("1 planned sample overdue")
    page.get_by_role("link", name="Sampling plans").click()
    page.get_by_role("link", name=str(tutor)).click()
    page.get_by_role(
        "link", name=f"Sample unit {unit.code} for Alice Alicefield: summative, due"
    ).click()

    # One page: the evidence (its written account and its PDF inline), the tutor's decisions,
    # the VACS checklist.
    evidence_card = page.get_by_test_id(f"evidence-{evidence.pk}")
    expect(evidence_card).to_contain_text("Shift log")
    expect(evidence_card).to_contain_text("I dealt with a complaint.")
    (pdf,) = evidence.files.all()
    expect(page.get_by_test_id(f"pdf-{pdf.pk}")).to_be_visible()
    for c in criteria(unit):
        expect(page.get_by_test_id(f"decision-{c.pk}")).to_have_text("Met")
    vacs = page.get_by_test_id("vacs")
    for name in ("valid", "authentic", "current"):
        vacs.get_by_role("group", name=name.capitalize()).get_by_label("Yes", exact=True).check()
    vacs.get_by_role("group", name="Sufficient").get_by_label("No", exact=True).check()
    page.get_by_label("Why not sufficient?").fill("One log for three criteria.")

    # Agreeing while the evidence is not sufficient is refused, and nothing is recorded.
    page.get_by_label("Agree with the tutor's assessment").check()
    page.get_by_label("Comments").fill("The log covers 1.1 only.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(
        page.get_by_text(
            "The evidence is not sufficient: refer the unit back with the actions the tutor "
            "must take, rather than agree."
        )
    ).to_be_visible()
    assert not SampleDecision.objects.exists()

    # Referred back with the required actions: the checklist is in the record.
    page.get_by_label("Refer back to the tutor").check()
    page.get_by_label("Actions required (for a referral)").fill("Add a witness statement.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_text("referred back to the tutor, signed by")).to_be_visible()
    decision = SampleDecision.objects.get()
    assert (decision.outcome, decision.sufficient, decision.sufficient_note) == (
        "referred",
        False,
        "One log for three criteria.",
    )
    expect(page.get_by_test_id(f"vacs-{decision.pk}")).to_contain_text("Sufficient: no")
    expect(page.get_by_test_id(f"vacs-{decision.pk}")).to_contain_text(
        "One log for three criteria."
    )

    # The plan's counts add up after the referral; the planned sample is no longer overdue.
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    expect(page.get_by_test_id(f"moderated-counts-{plan.pk}")).to_have_text(
        "1: 0 agreed in the sample · 1 referred in the sample · 0 outside the sample"
    )
    expect(page.get_by_test_id(f"overdue-{enrolment.pk}")).to_have_count(0)

    # A second plan for bob on the same qualification points to the first.
    page.goto(f"{live_server.url}/moderation/centres/{plan.centre_id}/plans/new/")
    page.locator("#id_tutor").select_option(label=str(tutor))
    page.locator("#id_qualification").select_option(index=1)
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "Bob Bobfield already has a plan for 600/0001/1"
    )
    page.get_by_test_id("existing-plan").click()
    expect(page).to_have_url(f"{live_server.url}{plan.get_absolute_url()}")
    _no_csp_violations(console)


def test_iqa_agrees_on_a_phone(page, live_server, sign_in, signed, password):
    _, unit, evidence, plan = signed
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("ivy", password)
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    sample = page.get_by_role(
        "link", name=f"Sample unit {unit.code} for Alice Alicefield: summative, due"
    )
    width, height = _target_size(sample)
    assert width >= 24 and height >= 24
    assert not page.evaluate("document.documentElement.scrollWidth > 390")
    sample.click()
    expect(page.get_by_test_id(f"evidence-{evidence.pk}")).to_contain_text(
        "I dealt with a complaint."
    )
    assert not page.evaluate("document.documentElement.scrollWidth > 390")
    page.get_by_label("Agree with the tutor's assessment").check()
    for name in ("valid", "authentic", "current", "sufficient"):
        page.get_by_role("group", name=name.capitalize()).get_by_label("Yes", exact=True).check()
    page.get_by_label("Comments").fill("Valid, authentic, current and sufficient.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_text("agreed, signed by")).to_be_visible()
    decision = SampleDecision.objects.get()
    assert (decision.outcome, decision.valid, decision.sufficient) == ("agreed", True, True)
    assert not page.evaluate("document.documentElement.scrollWidth > 390")
