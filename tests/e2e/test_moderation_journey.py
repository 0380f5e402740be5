"""A unit from submitted evidence to an internal moderator's agreement and an external
moderator's review, in the browser; afterwards the audit trail proves every step."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.chain import verify_chain
from audit.models import AuditEntry
from moderation import services
from moderation.models import SampleDecision
from portfolios.models import UnitSignOff
from tests.moderation.conftest import Catalogue, add_evidence, criteria, enrol
from tests.portfolios.helpers import make_unit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def portfolio(centre, learner, tutor, internal_moderator, external_moderator, centre_admin):
    """Alice has uploaded and submitted one item covering the whole of unit A."""
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
    return enrolment, unit_a, evidence


def _vacs(page, **noes):
    """Answer the internal moderator's checklist: yes, or no with the note given."""
    for name in ("valid", "authentic", "current", "sufficient"):
        group = page.get_by_role("group", name=name.capitalize())
        if name in noes:
            group.get_by_label("No", exact=True).check()
            page.get_by_label(f"Why not {name}?").fill(noes[name])
        else:
            group.get_by_label("Yes", exact=True).check()


def _no_csp_violations(page, messages):
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_tutor_signs_moderator_refers_tutor_fixes_moderator_agrees(
    page, live_server, sign_in, portfolio, tutor, internal_moderator, password
):
    enrolment, unit, _ = portfolio
    console = []
    page.on("console", lambda msg: console.append(msg.text))

    # The tutor judges the evidence: every criterion of unit A met, in one action.
    sign_in("bob", password)
    expect(page.get_by_test_id("queue")).to_contain_text("Shift log")
    page.get_by_role("link", name="Assess").click()
    for criterion in criteria(unit):
        page.get_by_test_id(f"criterion-{criterion.pk}").get_by_text("Met", exact=True).click()
    page.get_by_role("button", name="Record decisions").click()
    expect(page.get_by_text("3 decisions recorded on E001: 3 met, 0 not yet met.")).to_be_visible()

    # ... and signs the unit with his password.
    page.goto(f"{live_server.url}/moderation/enrolments/{enrolment.pk}/")
    expect(page.get_by_test_id(f"unit-row-{unit.pk}")).to_contain_text("Ready to sign")
    page.get_by_test_id(f"unit-row-{unit.pk}").get_by_role("link", name="Sign off").click()
    page.get_by_label("Tutor comments").fill("All three criteria met by the shift log.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_text("is signed off and locked")).to_be_visible()
    page.context.clear_cookies()

    # The internal moderator samples it and refers it back, reopening 1.1.
    sign_in("ivy", password)
    page.get_by_test_id("signed-not-sampled").get_by_role("link").first.click()
    page.get_by_label("Refer back to the tutor").check()
    _vacs(page, sufficient="The log shows 1.1 without the customer's reaction.")
    page.get_by_label("Comments").fill("The log does not show the customer's reaction.")
    page.get_by_label("Actions required (for a referral)").fill("Add a witness statement for 1.1.")
    page.get_by_role("checkbox", name=re.compile(r"^1\.1 ")).check()
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_test_id("referral")).to_contain_text("Add a witness statement for 1.1.")
    page.context.clear_cookies()

    # The tutor sees the referral, decides 1.1 again and signs the unit again.
    sign_in("bob", password)
    page.get_by_test_id("referrals").get_by_role("link").first.click()
    first = criteria(unit)[0]
    expect(page.get_by_test_id(f"decision-{first.pk}")).to_have_text("Reopened")
    page.get_by_test_id(f"decision-{first.pk}").click()
    page.get_by_label("Met", exact=True).check()
    page.get_by_label("Feedback").fill("Witness statement from the supervisor seen.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Your decision on 1.1 is recorded.")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text("Superseded")
    page.get_by_role("link", name=unit.code).click()
    page.get_by_label("Tutor comments").fill("Witness statement added for 1.1.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_text("is signed off and locked")).to_be_visible()
    page.context.clear_cookies()

    # The moderator agrees; the referral is closed.
    sign_in("ivy", password)
    page.goto(f"{live_server.url}/moderation/enrolments/{enrolment.pk}/units/{unit.pk}/")
    page.get_by_test_id("iqa-sample").click()
    page.get_by_label("Agree with the tutor's assessment").check()
    _vacs(page)
    page.get_by_label("Comments").fill("Now sufficient.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_text("agreed, signed by")).to_be_visible()
    expect(page.get_by_test_id("referral")).to_have_count(0)
    _no_csp_violations(page, console)

    # Every step can be proven afterwards.
    assert UnitSignOff.objects.filter(enrolment=enrolment).count() == 2
    assert list(SampleDecision.objects.order_by("signed_at").values_list("outcome", flat=True)) == [
        "referred",
        "agreed",
    ]
    actions = list(
        AuditEntry.objects.exclude(action__in=["role_given", "enrolment_created", "unit_added"])
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "evidence_created",
        "evidence_submitted",
        "decision",
        "decision",
        "decision",
        "sign_off",
        "sample",
        "unit_reopened",
        "referral",
        "decision",
        "sign_off",
        "reopening_closed",
        "sample_decision",
    ]
    assert verify_chain().ok


def test_admin_grants_external_moderator_who_reviews_and_downloads(
    page,
    live_server,
    sign_in,
    portfolio,
    tutor,
    internal_moderator,
    external_moderator,
    centre_admin,
    password,
):
    enrolment, unit, evidence = portfolio
    requests = [services.DecisionRequest(criterion_id=c.pk, outcome="met") for c in criteria(unit)]
    services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=requests,
        evidence=evidence,
    )
    services.unit_sign_off(
        enrolment=enrolment, unit=unit, by=tutor, comments="Met.", password=password
    )

    # Before any grant the external moderator cannot open the portfolio.
    sign_in("eric", password)
    page.goto(f"{live_server.url}/portfolios/{enrolment.pk}/")
    expect(page.get_by_text("Shift log")).to_have_count(0)
    page.context.clear_cookies()

    sign_in("carol", password)
    page.get_by_role("link", name="EQA access").click()
    page.get_by_role("link", name="Grant access").click()
    page.get_by_label("External moderator").select_option(label=str(external_moderator))
    page.get_by_label(re.compile(str(enrolment.learner))).check()
    ends = timezone.localtime() + datetime.timedelta(days=2)
    page.get_by_label("Until").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Grant access").click()
    expect(page.get_by_text(f"{external_moderator} has access until")).to_be_visible()
    page.context.clear_cookies()

    sign_in("eric", password)
    page.get_by_role("link", name=str(enrolment.learner)).first.click()
    page.get_by_role("link", name=re.compile("Deliver customer service")).click()
    page.get_by_test_id("eqa-sample").click()
    page.get_by_label("Agree with the tutor's assessment").check()
    page.get_by_label("Comments").fill("Standards verified.")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name=re.compile("^Sign as")).click()
    expect(page.get_by_text("agreed, signed by")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("bundle-link").click()
    assert download.value.suggested_filename.startswith("eqa-bundle-")
    page.context.clear_cookies()

    # The centre sees what the external moderator opened.
    sign_in("carol", password)
    page.get_by_role("link", name="EQA access").click()
    page.get_by_role("link", name=str(external_moderator)).click()
    expect(page.get_by_test_id("access-log")).to_contain_text("assessment record")
    expect(page.get_by_test_id("access-log")).to_contain_text("/units/")
    expect(page.get_by_test_id("access-log")).to_contain_text("eqa-bundle")
    assert verify_chain().ok
