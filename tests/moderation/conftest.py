"""A small qualification (unit A: 4 criteria, unit B: 2), alice enrolled with bob as her tutor,
and helpers that take a portfolio through the assessment steps with the real services."""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.enums import Role
from moderation import services
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.vacs import VACS_ALL_YES
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision
from qualifications.models import (
    AwardingBody,
    EvidenceMethod,
    Qualification,
    QualificationUnit,
    UnitGroup,
)
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.portfolios.helpers import make_unit, minimal_pdf, upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class Catalogue:
    qualification: Qualification
    unit_a: object
    unit_b: object


@pytest.fixture
def catalogue(db):
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    unit_a = make_unit("A/100/0001", "Deliver customer service", outcomes=2, criteria=2)
    unit_b = make_unit("A/100/0002", "Communicate with customers", outcomes=1, criteria=2)
    for position, unit in enumerate([unit_a, unit_b]):
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    return Catalogue(qualification, unit_a, unit_b)


def enrol(catalogue, *, centre, learner, tutor, by):
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=catalogue.qualification,
        units=[catalogue.unit_a, catalogue.unit_b],
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


def criteria(unit) -> list:
    return list(unit.criteria.order_by("sort_key"))


def add_evidence(enrolment, learner, *, criteria_list, title="Complaint log", submit=True):
    item = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title=title,
        # get_or_create: transactional tests empty the table the data migration filled.
        method=EvidenceMethod.objects.get_or_create(
            slug="reflective-account", defaults={"name": "Reflective account"}
        )[0],
        date=datetime.date(2026, 2, 1),
        text="I dealt with a complaint.",
        files=[upload(f"{title}.pdf", minimal_pdf(title))],
        criteria=criteria_list,
    )
    if submit:
        portfolio_services.evidence_submit(items=[item], by=learner, declaration_confirmed=True)
        item.refresh_from_db()
    return item


@pytest.fixture
def enrolment(catalogue, centre, learner, tutor, centre_admin):
    return enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)


@pytest.fixture
def evidence(enrolment, learner, catalogue):
    """Alice's submitted item covering all of unit A and the first criterion of unit B."""
    return add_evidence(
        enrolment,
        learner,
        criteria_list=criteria(catalogue.unit_a) + criteria(catalogue.unit_b)[:1],
    )


def latest_id(enrolment, criterion):
    return (
        CriterionDecision.objects.filter(enrolment=enrolment, criterion=criterion)
        .latest()
        .values_list("pk", flat=True)
        .first()
    )


def decide(
    enrolment, tutor, criteria_list, outcome=DecisionOutcome.MET, *, evidence=None, feedback=""
):
    return services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[
            services.DecisionRequest(
                criterion_id=c.pk,
                outcome=outcome,
                feedback=feedback
                or ("Add a second example." if outcome != DecisionOutcome.MET else ""),
                seen_id=latest_id(enrolment, c),
            )
            for c in criteria_list
        ],
        evidence=evidence,
    )


def sign(enrolment, unit, tutor, comments="All criteria met."):
    return services.unit_sign_off(
        enrolment=enrolment, unit=unit, by=tutor, comments=comments, password=PASSWORD
    )


def moderate(enrolment, unit, moderator, outcome=SampleOutcome.AGREED, *, kind=None, **kwargs):
    from moderation.models import SampleDecision

    kind = kind or ModeratorKind.INTERNAL
    seen = (
        SampleDecision.objects.filter(
            sample__enrolment=enrolment, sample__unit=unit, sample__kind=kind
        )
        .latest()
        .values_list("pk", flat=True)
        .first()
    )
    referred = outcome == SampleOutcome.REFERRED
    if kind == ModeratorKind.INTERNAL:
        kwargs.setdefault("vacs", VACS_ALL_YES)
    return services.sample_decide(
        enrolment=enrolment,
        unit=unit,
        kind=kind,
        by=moderator,
        outcome=outcome,
        comments="Sampled.",
        required_actions="Add a second witness statement." if referred else "",
        password=PASSWORD,
        seen_id=seen,
        **kwargs,
    )


@pytest.fixture
def signed_unit(enrolment, evidence, tutor, catalogue):
    """Unit A of alice's portfolio: every criterion met and signed off by bob."""
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    return sign(enrolment, catalogue.unit_a, tutor)


@pytest.fixture
def second_tutor(centre):
    """Tess tutors Dora at the same centre: a tutor of another learner."""
    user = UserFactory(username="tess", first_name="Tess", last_name="Tutor")
    MembershipFactory(user=user, centre=centre, role=Role.TUTOR)
    return user


@pytest.fixture
def dora_enrolment(catalogue, centre, second_tutor, centre_admin):
    dora = UserFactory(username="dora", first_name="Dora", last_name="Second")
    MembershipFactory(user=dora, centre=centre, role=Role.LEARNER)
    return enrol(catalogue, centre=centre, learner=dora, tutor=second_tutor, by=centre_admin)


@pytest.fixture
def other_enrolment(catalogue, other_centre, outsider):
    """Charlie's portfolio at centre B, assessed and signed: nothing of it may leak to A."""
    enrolment = enrol(catalogue, centre=other_centre, learner=outsider, tutor=outsider, by=outsider)
    item = add_evidence(
        enrolment, outsider, criteria_list=criteria(catalogue.unit_a), title="Charlie secret"
    )
    decide(enrolment, outsider, criteria(catalogue.unit_a), evidence=item)
    sign(enrolment, catalogue.unit_a, outsider, comments="Charlie's private sign-off")
    return enrolment


@pytest.fixture
def world(
    signed_unit,
    enrolment,
    evidence,
    catalogue,
    centre,
    by_role,
    outsider,
    other_enrolment,
    second_tutor,
    dora_enrolment,
):
    """Alice's unit A signed by bob; a second item of hers waits in bob's queue; eric holds a
    current grant to her portfolio; charlie has his own signed portfolio at centre B."""
    from moderation.models import SamplingPlan
    from tests.moderation.test_permissions import grant as make_grant

    waiting = add_evidence(
        enrolment, by_role["learner"], criteria_list=criteria(catalogue.unit_b), title="Phone log"
    )
    grant = make_grant(centre, by_role["admin"], by_role["eqa"], enrolments=[enrolment])
    plan = SamplingPlan.objects.create(
        centre=centre,
        qualification=catalogue.qualification,
        tutor=by_role["tutor"],
        created_by=by_role["iqa"],
    )
    return {
        "enrolment": enrolment,
        "evidence": evidence,
        "waiting": waiting,
        "unit": catalogue.unit_a,
        "criterion": criteria(catalogue.unit_a)[0],
        "grant": grant,
        "plan": plan,
        "centre": centre,
        "sign_off": signed_unit,
        **by_role,
        "charlie": outsider,
        "tess": second_tutor,
    }


@pytest.fixture
def by_role(learner, tutor, internal_moderator, external_moderator, centre_admin):
    return {
        "learner": learner,
        "tutor": tutor,
        "iqa": internal_moderator,
        "eqa": external_moderator,
        "admin": centre_admin,
    }
