"""Staff publish a new version of a shared unit; a centre admin sees the diff and moves one
learner to it, in Chromium."""

import datetime

import pytest
from playwright.sync_api import expect

from moderation import services as moderation_services
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, Enrolment
from qualifications.importer import parse_spec
from qualifications.models import (
    AwardingBody,
    EvidenceMethod,
    Qualification,
    QualificationUnit,
    UnitGroup,
)
from qualifications.services import spec_import
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SPEC = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered promptly
"""

REVISED = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered within agreed times
1.3 Record enquiries accurately
"""


@pytest.fixture
def enrolled(centre, learner, tutor, centre_admin):
    """Version 1 of a shared qualification with one unit; the learner's 1.1 and 1.2 met."""
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/9999/1", title="Certificate in Enquiries", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    QualificationUnit.objects.create(qualification=qualification, unit=unit, group=group)
    enrolment = portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=qualification,
        units=[unit],
        start_date=datetime.date(2026, 9, 1),
        planned_end_date=datetime.date(2027, 6, 30),
        by=centre_admin,
    )
    criteria = list(unit.criteria.order_by("sort_key"))
    evidence = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Enquiry log",
        method=EvidenceMethod.objects.get_or_create(slug="observation")[0],
        date=datetime.date(2026, 9, 10),
        text="I logged every enquiry for a week.",
        criteria=criteria,
    )
    portfolio_services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 9, 12),
        requests=[
            moderation_services.DecisionRequest(criterion_id=c.pk, outcome=DecisionOutcome.MET)
            for c in criteria
        ],
    )
    return enrolment


def test_staff_publish_a_new_version_and_an_admin_moves_one_learner(
    page, sign_in, password, live_server, centre, centre_admin, enrolled
):
    staff = UserFactory(username="sam", is_staff=True)
    staff.set_password(password)
    staff.save()

    # Staff import the reissued unit: the preview shows what changed and that version 2 is made.
    sign_in(staff.username, password)
    page.goto(f"{live_server.url}/catalogue/import/")
    page.get_by_label("Paste the specification's text").fill(REVISED)
    page.get_by_role("button", name="Recognise").click()
    diff = page.get_by_test_id("unit-diff").first
    expect(diff).to_contain_text("1.2")
    expect(diff).to_contain_text("Explain why enquiries must be answered within agreed times")
    expect(diff).to_contain_text("1.3")
    page.get_by_role("button", name="Save to the catalogue").click()
    expect(page.get_by_test_id("version")).to_have_text("version 2")
    v2 = Qualification.objects.get(number="600/9999/1", version=2)
    page.context.clear_cookies()

    # The centre admin sees the diff on the move page and moves the learner.
    sign_in(centre_admin.username, password)
    page.goto(
        f"{live_server.url}/centres/{centre.pk}/qualifications/{enrolled.qualification_id}/move/"
    )
    expect(page.get_by_text("D/601/1234 Handle customer enquiries: version 1 → 2")).to_be_visible()
    expect(
        page.get_by_text("1 added, 0 removed, 0 renumbered, 1 reworded, 1 unchanged.")
    ).to_be_visible()
    page.get_by_role("button", name="Move").click()
    expect(
        page.get_by_text("Moved 1 learner to version 2: 1 decision carried, 1 criterion flagged")
    ).to_be_visible()

    enrolment = Enrolment.objects.get(pk=enrolled.pk)
    assert enrolment.qualification == v2
    carried = CriterionDecision.objects.filter(enrolment=enrolment, carried_from__isnull=False)
    assert [d.criterion.number for d in carried] == ["1.1"]
    assert carried[0].criterion.unit.version == 2
