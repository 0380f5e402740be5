"""Reads of internal moderators' sampling plans and their grids (a fixed number of queries
for any number of plans); `sampling.py` does the arithmetic."""

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from moderation.enums import ModeratorKind
from moderation.models import PlannedSample, SampleDecision, SamplingPlan
from moderation.sampling import Grid, build_grid
from portfolios.enums import EnrolmentStatus
from portfolios.models import (
    CriterionDecision,
    Enrolment,
    EnrolmentUnit,
    EvidenceCriterion,
    UnitSignOff,
)
from portfolios.state import current_evidence_q
from qualifications.models import QualificationUnit

# ---------------------------------------------------------------- sampling plans


def plans_for(user, centre):
    return (
        SamplingPlan.objects.filter(centre=centre)
        .select_related("qualification", "tutor", "centre")
        .order_by("tutor__last_name", "tutor__first_name", "qualification__title", "pk")
    )


def plan_grids(plans) -> list[Grid]:
    """The proposed sample of each plan with its state and coverage. A fixed number of
    queries for any number of plans, learners and units."""
    plans = list(plans)
    if not plans:
        return []
    plan_ids = [p.pk for p in plans]
    new_units = defaultdict(set)
    for plan_id, unit_id in SamplingPlan.new_units.through.objects.filter(
        samplingplan_id__in=plan_ids
    ).values_list("samplingplan_id", "unit_id"):
        new_units[plan_id].add(unit_id)
    risk_methods = defaultdict(set)
    for plan_id, method_id in SamplingPlan.risk_methods.through.objects.filter(
        samplingplan_id__in=plan_ids
    ).values_list("samplingplan_id", "evidencemethod_id"):
        risk_methods[plan_id].add(method_id)
    risk_learners = defaultdict(set)
    for plan_id, user_id in SamplingPlan.risk_learners.through.objects.filter(
        samplingplan_id__in=plan_ids
    ).values_list("samplingplan_id", "user_id"):
        risk_learners[plan_id].add(user_id)

    pairs = Q(pk__in=[])
    for p in plans:
        pairs |= Q(centre_id=p.centre_id, tutor_id=p.tutor_id, qualification_id=p.qualification_id)
    enrolments = list(
        Enrolment.objects.filter(pairs)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    enrolment_ids = [e.pk for e in enrolments]
    units_by_enrolment = defaultdict(list)
    for eid, uid in (
        EnrolmentUnit.objects.current()
        .filter(enrolment_id__in=enrolment_ids)
        .order_by("position", "pk")
        .values_list("enrolment_id", "unit_id")
    ):
        units_by_enrolment[eid].append(uid)
    qualification_ids = {p.qualification_id for p in plans}
    unit_order = {}
    units = {}
    for qu in (
        QualificationUnit.objects.filter(qualification_id__in=qualification_ids)
        .select_related("unit")
        .order_by("position")
    ):
        unit_order[(qu.qualification_id, qu.unit_id)] = qu.position
        units[qu.unit_id] = qu.unit
    decided = set(
        CriterionDecision.objects.filter(enrolment_id__in=enrolment_ids)
        .values_list("enrolment_id", "unit_id")
        .distinct()
    )
    signed = {
        (s.enrolment_id, s.unit_id): s.pk
        for s in UnitSignOff.objects.filter(enrolment_id__in=enrolment_ids)
        .standing()
        .only("pk", "enrolment_id", "unit_id")
    }
    moderated = {
        (d.sample.enrolment_id, d.sample.unit_id): d
        for d in SampleDecision.objects.latest()
        .filter(sample__enrolment_id__in=enrolment_ids, sample__kind=ModeratorKind.INTERNAL)
        .select_related("sample")
    }
    # Evidence that raises the risk: of a watched method, or kept at a watched location.
    watched_methods = set().union(*risk_methods.values()) if risk_methods else set()
    any_locations = any(p.location_words for p in plans)
    risky_evidence = []
    if watched_methods or any_locations:
        condition = Q(evidence__method_id__in=watched_methods)
        if any_locations:
            condition |= ~Q(evidence__workplace_location="")
        risky_evidence = list(
            EvidenceCriterion.objects.filter(
                condition,
                current_evidence_q("evidence__"),
                evidence__enrolment_id__in=enrolment_ids,
            )
            .values_list(
                "evidence__enrolment_id",
                "criterion__unit_id",
                "evidence__method_id",
                "evidence__workplace_location",
                "evidence__reference",
            )
            .distinct()
        )

    planned = defaultdict(dict)
    for plan_id, enrolment_id, planned_on in PlannedSample.objects.filter(
        plan_id__in=plan_ids
    ).values_list("plan_id", "enrolment_id", "planned_on"):
        planned[plan_id][enrolment_id] = planned_on
    # The centre's calendar day (settings.TIME_ZONE), not the server's UTC one.
    today = timezone.localdate()

    grids = []
    for plan in plans:
        mine = [
            e
            for e in enrolments
            if e.centre_id == plan.centre_id
            and e.tutor_id == plan.tutor_id
            and e.qualification_id == plan.qualification_id
        ]
        grids.append(
            build_grid(
                plan=plan,
                enrolments=mine,
                units_by_enrolment=units_by_enrolment,
                unit_order={
                    uid: pos
                    for (qid, uid), pos in unit_order.items()
                    if qid == plan.qualification_id
                },
                units=units,
                new_units=new_units[plan.pk],
                risk_methods=risk_methods[plan.pk],
                risk_learners=risk_learners[plan.pk],
                risky_evidence=risky_evidence,
                decided=decided,
                signed=signed,
                moderated=moderated,
                planned=planned[plan.pk],
                today=today,
            )
        )
    return grids


def plan_page(plan) -> dict:
    """A plan with its grid and the risks it watches."""
    return {
        "plan": plan,
        "grid": plan_grids([plan])[0],
        "new_units": list(plan.new_units.all()),
        "risk_methods": list(plan.risk_methods.all()),
        "risk_learners": list(plan.risk_learners.all()),
    }
