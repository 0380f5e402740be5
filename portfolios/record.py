"""Reads of one learner's assessed record that every screen, export and PDF shares.

Each costs a fixed number of queries whatever the size of the portfolio, and takes every
meaning ("met", "standing", "locked", "current") from `portfolios.state`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import models

from accounts.models import User
from portfolios import state
from portfolios.achievement import Achievement, GradedCriterion, achievement_of
from portfolios.models import (
    CriterionDecision,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    Reopening,
    UnitSignOff,
)
from portfolios.progress import Tally, tally_of
from qualifications.models import AssessmentCriterion, Qualification


def latest_decisions(enrolment) -> dict[int, str]:
    """{criterion_id: effective outcome} of each decided criterion (`state.effective_outcome`:
    a reopened decision reads as not yet met). One query."""
    return {
        criterion_id: state.effective_outcome(outcome, reopened=reopened)
        for criterion_id, outcome, reopened in CriterionDecision.objects.filter(enrolment=enrolment)
        .latest()
        .with_reopened()
        .values_list("criterion_id", "outcome", "reopened")
    }


def latest_decision_rows(enrolment) -> dict[int, tuple[str, bool, datetime.date, str]]:
    """{criterion_id: (outcome, reopened, decided_on, feedback)} of each decided criterion, as
    plain values: what a printed checklist shows of a decision, read without building a model
    instance (or its tutor) per criterion. One query."""
    rows = (
        CriterionDecision.objects.filter(enrolment=enrolment)
        .latest()
        .with_reopened()
        .values_list("criterion_id", "outcome", "reopened", "decided_on", "feedback")
    )
    return {criterion_id: tuple(values) for criterion_id, *values in rows}


@dataclass(frozen=True)
class DecisionSummary:
    criterion_id: int
    outcome: str  # "met" | "not_yet_met": the tutor's decision as recorded
    outcome_label: str
    decided_on: datetime.date
    decided_at: datetime.datetime
    tutor_name: str
    feedback: str
    # A moderator's open referral reopened it: the tutor has to decide it again.
    reopened: bool

    @property
    def effective_outcome(self) -> str:
        return state.effective_outcome(self.outcome, reopened=self.reopened)

    @property
    def is_met(self) -> bool:
        return state.is_met(self.outcome, reopened=self.reopened)


def latest_decision_details(enrolment) -> dict[int, DecisionSummary]:
    """{criterion_id: DecisionSummary} of the newest decision per criterion. One query."""
    rows = (
        CriterionDecision.objects.filter(enrolment=enrolment)
        .latest()
        .with_reopened()
        .select_related("decided_by")
    )
    return {d.criterion_id: _summary(d) for d in rows}


def decisions_on(enrolment, criterion_ids) -> dict[int, DecisionSummary]:
    """{criterion_id: DecisionSummary} of the latest decision on each of these criteria (an
    evidence page's criteria). One query, however many."""
    rows = (
        CriterionDecision.objects.filter(enrolment=enrolment, criterion_id__in=list(criterion_ids))
        .latest()
        .with_reopened()
        .select_related("decided_by")
    )
    return {d.criterion_id: _summary(d) for d in rows}


def _summary(d) -> DecisionSummary:
    return DecisionSummary(
        criterion_id=d.criterion_id,
        outcome=d.outcome,
        outcome_label=d.get_outcome_display(),
        decided_on=d.decided_on,
        decided_at=d.decided_at,
        tutor_name=str(d.decided_by),
        feedback=d.feedback,
        reopened=d.reopened,
    )


def open_reopening_unit_ids(enrolment, unit_ids) -> set[int]:
    """Units among these that a moderator's open referral has opened again. One query."""
    return set(
        Reopening.objects.filter(
            enrolment=enrolment, unit_id__in=list(unit_ids), closure__isnull=True
        ).values_list("unit_id", flat=True)
    )


@dataclass(frozen=True)
class SignOffSummary:
    unit_id: int
    tutor_name: str
    signed_at: datetime.datetime
    comments: str
    learner_name: str  # "" until the learner acknowledges
    learner_comment: str
    acknowledged_at: datetime.datetime | None
    # A moderator referred this sign-off back; the unit is open again until re-signed.
    is_referred: bool


def unit_sign_offs(enrolment) -> dict[int, SignOffSummary]:
    """{unit_id: SignOffSummary} of each unit's newest sign-off. One query, of plain values:
    a diploma's checklist reads 39 of them, with the learners' acknowledgements, on every print."""
    rows = (
        UnitSignOff.objects.filter(enrolment=enrolment)
        .latest()
        .with_referral()
        .values_list(
            "unit_id",
            "signature_name",
            "signed_at",
            "comments",
            "is_referred",
            "acknowledgement__acknowledged_at",
            "acknowledgement__comment",
            "acknowledgement__learner__first_name",
            "acknowledgement__learner__last_name",
            "acknowledgement__learner__username",
        )
    )
    result = {}
    for row in rows:
        unit_id, name, signed_at, comments, referred, acknowledged_at, note, *learner = row
        first, last, username = learner
        acknowledged = acknowledged_at is not None
        result[unit_id] = SignOffSummary(
            unit_id=unit_id,
            tutor_name=name,
            signed_at=signed_at,
            comments=comments,
            # The name as the account shows it (`User.__str__`), without reading the account.
            learner_name=str(User(first_name=first, last_name=last, username=username))
            if acknowledged
            else "",
            learner_comment=note if acknowledged else "",
            acknowledged_at=acknowledged_at,
            is_referred=referred,
        )
    return result


def criterion_history(enrolment, criterion) -> list[CriterionDecision]:
    """Every decision on the criterion, oldest first, with its evidence and reopenings."""
    return list(
        CriterionDecision.objects.filter(enrolment=enrolment, criterion=criterion)
        .select_related("decided_by")
        .prefetch_related("evidence", "reopenings__referral__sample")
        .with_reopened()
        .order_by("decided_at", "pk")
    )


def submitted_evidence_for(enrolment, criterion) -> list[Evidence]:
    """The current evidence mapped to the criterion (`state`: submitted, not superseded)."""
    return list(
        Evidence.objects.current()
        .filter(enrolment=enrolment, links__criterion=criterion)
        .select_related("method")
        .order_by("number")
    )


def locked_unit_ids(enrolment, unit_ids=None) -> set[int]:
    """Units of the enrolment (or of these units) whose newest sign-off stands, not referred
    back: they are locked. One query."""
    return state.locked_unit_ids(UnitSignOff.objects, enrolment, unit_ids)


def unit_is_locked(enrolment, unit_id) -> bool:
    return unit_id in locked_unit_ids(enrolment, [unit_id])


@dataclass
class EvidenceCriterionRow:
    criterion: object
    decision: CriterionDecision | None
    reopened: bool
    locked: bool  # its unit is signed off


def evidence_assessment(evidence) -> tuple[list[EvidenceCriterionRow], list]:
    """The criteria the item is mapped to, each with its latest decision and whether its unit
    is locked; and the enrolment's other criteria the tutor may add. Four queries."""
    enrolment = evidence.enrolment
    unit_ids = list(
        EnrolmentUnit.objects.current()
        .filter(enrolment=enrolment)
        .order_by("position")
        .values_list("unit_id", flat=True)
    )
    criteria = list(
        AssessmentCriterion.objects.filter(unit_id__in=unit_ids)
        .select_related("unit")
        .order_by("unit_id", "sort_key")
    )
    mapped = set(evidence.links.values_list("criterion_id", flat=True))
    latest = {
        d.criterion_id: d
        for d in CriterionDecision.objects.filter(enrolment=enrolment)
        .latest()
        .with_reopened()
        .select_related("decided_by")
    }
    locked_units = locked_unit_ids(enrolment)
    position = {uid: i for i, uid in enumerate(unit_ids)}
    criteria.sort(key=lambda c: (position.get(c.unit_id, 0), c.sort_key))
    rows, others = [], []
    for c in criteria:
        if c.pk in mapped:
            d = latest.get(c.pk)
            rows.append(
                EvidenceCriterionRow(
                    criterion=c,
                    decision=d,
                    reopened=bool(d and d.reopened),
                    locked=c.unit_id in locked_units,
                )
            )
        elif c.unit_id not in locked_units:
            others.append(c)
    return rows, others


def criteria_among(criteria):
    """The given criteria (objects or ids) as a queryset in display order, for a form's
    choices."""
    ids = [getattr(c, "pk", c) for c in criteria]
    return (
        AssessmentCriterion.objects.filter(pk__in=ids)
        .select_related("unit")
        .order_by("unit__code", "unit_id", "sort_key")
    )


@dataclass
class CriterionPage:
    history: list  # every decision, newest first
    evidence: list  # the current evidence mapped to it
    locked: bool

    @property
    def latest(self):
        return self.history[0] if self.history else None

    def context(self) -> dict:
        return {"history": self.history, "latest": self.latest, "evidence": self.evidence}


def criterion_page(enrolment, criterion) -> CriterionPage:
    return CriterionPage(
        history=list(reversed(criterion_history(enrolment, criterion))),
        evidence=submitted_evidence_for(enrolment, criterion),
        locked=unit_is_locked(enrolment, criterion.unit_id),
    )


# ---------------------------------------------------------------- progress


@dataclass
class Progress:
    """An enrolment's one progress measure (`progress.Tally`: met / evidenced / to do),
    overall and per unit it takes now."""

    overall: Tally
    units: dict[int, Tally]

    def unit(self, unit_id) -> Tally:
        return self.units.get(unit_id) or Tally()


def progress_for(enrolments, *, drafts: bool = True) -> dict[int, Progress]:
    """{enrolment_id: Progress} for any number of enrolments in four queries, counted as the
    portfolio page counts them (`state.criterion_status`); without the learners' drafts
    for someone who may not see them."""
    ids = [getattr(e, "pk", e) for e in enrolments]
    taken = defaultdict(set)
    for enrolment_id, unit_id in (
        EnrolmentUnit.objects.current()
        .filter(enrolment_id__in=ids)
        .values_list("enrolment_id", "unit_id")
    ):
        taken[enrolment_id].add(unit_id)
    unit_ids = {u for units in taken.values() for u in units}
    criteria = defaultdict(list)
    for criterion_id, unit_id in (
        AssessmentCriterion.objects.filter(unit_id__in=unit_ids)
        .order_by()
        .values_list("pk", "unit_id")
    ):
        criteria[unit_id].append((criterion_id, unit_id))
    evidence = Evidence.objects.filter(enrolment_id__in=ids)
    if not drafts:
        evidence = evidence.submitted()
    states, links = defaultdict(dict), defaultdict(list)
    for evidence_id, enrolment_id, criterion_id, submitted, assessed, superseded in (
        EvidenceCriterion.objects.filter(evidence__in=evidence)
        .annotate(
            is_superseded=models.ExpressionWrapper(
                state.superseded_evidence_q("evidence__"), output_field=models.BooleanField()
            )
        )
        .values_list(
            "evidence_id",
            "evidence__enrolment_id",
            "criterion_id",
            "evidence__submitted_at",
            "evidence__assessed_at",
            "is_superseded",
        )
    ):
        states[enrolment_id][evidence_id] = state.evidence_state(
            submitted=submitted is not None,
            assessed=assessed is not None,
            superseded=bool(superseded),
        )
        links[enrolment_id].append((evidence_id, criterion_id))
    decisions = defaultdict(dict)
    for enrolment_id, criterion_id, outcome, reopened in (
        CriterionDecision.objects.filter(enrolment_id__in=ids)
        .latest()
        .with_reopened()
        .values_list("enrolment_id", "criterion_id", "outcome", "reopened")
    ):
        decisions[enrolment_id][criterion_id] = state.effective_outcome(outcome, reopened=reopened)
    result = {}
    for enrolment_id in ids:
        overall, units = tally_of(
            criteria=[c for u in taken[enrolment_id] for c in criteria[u]],
            links=links[enrolment_id],
            evidence_states=states[enrolment_id],
            decisions=decisions[enrolment_id],
        )
        result[enrolment_id] = Progress(overall, units)
    return result


# ---------------------------------------------------------------- units holding work


def units_holding_work(enrolment, unit_ids=None) -> set[int]:
    """Units of the enrolment (or of these units) that hold work: evidence of any state mapped
    to one of their criteria, a decision or a sign-off. Such a unit is never taken off the
    enrolment; it is withdrawn with a reason and can be restored. Three queries."""
    mapped = EvidenceCriterion.objects.filter(evidence__enrolment=enrolment)
    decided = CriterionDecision.objects.filter(enrolment=enrolment)
    signed = UnitSignOff.objects.filter(enrolment=enrolment)
    if unit_ids is not None:
        unit_ids = list(unit_ids)
        mapped = mapped.filter(criterion__unit_id__in=unit_ids)
        decided = decided.filter(unit_id__in=unit_ids)
        signed = signed.filter(unit_id__in=unit_ids)
    return (
        set(mapped.values_list("criterion__unit_id", flat=True).distinct())
        | set(decided.values_list("unit_id", flat=True).distinct())
        | set(signed.values_list("unit_id", flat=True).distinct())
    )


# ---------------------------------------------------------------- grades


def achievements_for(enrolments) -> dict[int, Achievement]:
    """{enrolment_id: Achievement}: each enrolment's unit grades (its current units) and its
    qualification's grade, from the criteria the record counts as met (`state`: standing
    and met). Three queries for any number of enrolments, four when their qualifications
    were not fetched with them."""
    enrolments = list(enrolments)
    ids = [e.pk for e in enrolments]
    credits = defaultdict(dict)
    for enrolment_id, unit_id, credit_value in (
        EnrolmentUnit.objects.current()
        .filter(enrolment_id__in=ids)
        .order_by("position", "pk")
        .values_list("enrolment_id", "unit_id", "unit__credit_value")
    ):
        credits[enrolment_id][unit_id] = credit_value
    unit_ids = {unit_id for units in credits.values() for unit_id in units}
    criteria = [
        GradedCriterion(pk, unit_id, grade, label or number)
        for pk, unit_id, grade, label, number in AssessmentCriterion.objects.filter(
            unit_id__in=unit_ids
        )
        .order_by("unit_id", "sort_key")
        .values_list("pk", "unit_id", "grade", "label", "number")
    ]
    met = defaultdict(set)
    for enrolment_id, criterion_id in (
        CriterionDecision.objects.filter(enrolment_id__in=ids)
        .met()
        .values_list("enrolment_id", "criterion_id")
    ):
        met[enrolment_id].add(criterion_id)
    schemes = _points_tables(enrolments)
    return {
        e.pk: achievement_of(
            criteria=criteria,
            met_ids=met[e.pk],
            credits=credits[e.pk],
            scheme=schemes.get(e.qualification_id),
        )
        for e in enrolments
    }


def _points_tables(enrolments) -> dict[int, dict]:
    """{qualification_id: its points table}, read from the enrolments when they carry their
    qualification, else in one query."""
    cached = Enrolment._meta.get_field("qualification").is_cached
    tables = {
        e.qualification_id: e.qualification.grading
        for e in enrolments
        if e.qualification_id and cached(e)
    }
    wanted = {e.qualification_id for e in enrolments if e.qualification_id} - set(tables)
    if wanted:
        tables.update(Qualification.objects.filter(pk__in=wanted).values_list("pk", "grading"))
    return tables


def record_achievement(enrolment) -> Achievement:
    """One enrolment's grades (`achievements_for`)."""
    return achievements_for([enrolment])[enrolment.pk]


def unit_grades(enrolment) -> dict:
    """{unit_id: UnitAchievement} of the units the enrolment takes now."""
    return record_achievement(enrolment).units


def qualification_grade_of(enrolment):
    """The qualification's grade (`achievement.QualificationAchievement`), or None when the
    enrolment's qualification has no points table (or it is a short course)."""
    return record_achievement(enrolment).qualification
