"""Graded (BTEC-style) units and a graded qualification for tests: the seeds have none.

A graded unit's criteria are numbered 1.1, 1.2, … as the catalogue orders them, and carry the
label the awarding body prints (P1, M1, D1) and their band. `GRADED_SHAPE` is the unit the
tests use most: outcome 1 holds P1 P2 M1 D1, outcome 2 holds P3 M2 D2.
"""

import datetime

import factory
from django.utils import timezone

from moderation import services as moderation_services
from portfolios import services as portfolio_services
from qualifications.enums import GradeBand
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    EvidenceMethod,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitGroup,
)

BAND_OF = {"P": GradeBand.PASS, "M": GradeBand.MERIT, "D": GradeBand.DISTINCTION}
GRADED_SHAPE = (("P1", "P2", "M1", "D1"), ("P3", "M2", "D2"))
# Seven points a Pass, eight a Merit, nine a Distinction; the grade from the total.
POINTS_TABLE = {
    "unit_points": {"pass": 7, "merit": 8, "distinction": 9},
    "per_credit": False,
    "thresholds": [
        {"grade": "distinction", "min_points": 26},
        {"grade": "merit", "min_points": 23},
        {"grade": "pass", "min_points": 0},
    ],
}


class AwardingBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardingBody
        django_get_or_create = ["short_name"]

    short_name = "TAB"
    name = "Test Awarding Body"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"T/{500 + n // 10000:03d}/{n % 10000:04d}")
    slug = factory.LazyAttribute(lambda u: u.code.lower().replace("/", "-"))
    title = factory.Sequence(lambda n: f"Graded unit {n}")
    level = 3
    credit_value = 10
    glh = 60


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningOutcome

    unit = factory.SubFactory(UnitFactory)
    number = "1"
    title = factory.LazyAttribute(lambda o: f"Know part {o.number}")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentCriterion

    outcome = factory.SubFactory(OutcomeFactory)
    number = "1.1"
    label = ""
    grade = GradeBand.NONE
    text = factory.LazyAttribute(lambda c: f"Criterion {c.label or c.number}")


def make_graded_unit(shape=GRADED_SHAPE, **unit_fields) -> Unit:
    """A unit whose outcomes hold the labelled criteria of `shape` (one tuple per outcome);
    a label that is not P/M/D followed by a number is an ungraded criterion."""
    unit = UnitFactory(**unit_fields)
    for o, labels in enumerate(shape, start=1):
        outcome = OutcomeFactory(unit=unit, number=str(o))
        for c, label in enumerate(labels, start=1):
            band = BAND_OF.get(label[:1], GradeBand.NONE) if label[1:].isdigit() else ""
            CriterionFactory(
                outcome=outcome,
                number=f"{o}.{c}",
                label=label if band else "",
                grade=band,
                text=f"Criterion {label} of {unit.title}",
            )
    return unit


def by_label(unit) -> dict[str, AssessmentCriterion]:
    return {c.shown_number: c for c in unit.criteria.all()}


def make_graded_qualification(units, *, grading=POINTS_TABLE, number="603/0001/1"):
    qualification = Qualification.objects.create(
        number=number,
        title="BTEC Level 3 Extended Certificate in Testing",
        awarding_body=AwardingBodyFactory(),
        level=3,
        grading=grading,
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    for position, unit in enumerate(units):
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
    return qualification


def enrol(qualification, units, *, centre, learner, tutor, by):
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=qualification,
        units=units,
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


def submit_evidence(enrolment, learner, criteria, *, title="Assignment"):
    """A submitted item mapped to the criteria, so a tutor may decide them."""
    method, _ = EvidenceMethod.objects.get_or_create(
        slug="reflective-account", defaults={"name": "Reflective account"}
    )
    item = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title=title,
        method=method,
        date=datetime.date(2026, 2, 1),
        text="Written account.",
        criteria=list(criteria),
    )
    portfolio_services.evidence_submit(items=[item], by=learner, declaration_confirmed=True)
    return item


def decide(enrolment, tutor, criteria, outcome="met"):
    """The tutor decides each criterion (superseding their latest decision on it)."""
    from portfolios.models import CriterionDecision

    latest = dict(
        CriterionDecision.objects.filter(enrolment=enrolment)
        .latest()
        .values_list("criterion_id", "pk")
    )
    return moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=c.pk,
                outcome=outcome,
                feedback="" if outcome == "met" else "Add a worked example.",
                seen_id=latest.get(c.pk),
            )
            for c in criteria
        ],
    )
