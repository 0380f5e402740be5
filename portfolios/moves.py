"""Moving learners from one version of their qualification to another.

Learners stay on the version they enrolled on until a centre admin moves them. A move maps
each criterion of the old unit version to the new one (`qualifications.versions.pair_criteria`):

- text unchanged (same number, or renumbered): the standing decision is carried, as a new
  decision on the new criterion with the same outcome, date, feedback and decider, pointing
  back at the old one (`carried_from`) and resting on the same evidence; the evidence mapped
  to the old criterion is mapped to the new one too. A decision a referral reopened is not
  carried: it is flagged, as the tutor has to decide it again anyway.
- text changed (reworded) or the criterion gone (removed), where the learner had a decision
  or evidence on it: nothing is carried; a flag (`MovedCriterion`) tells the tutor to decide
  the new criterion again, until a decision on it exists.

A unit the target qualification does not contain stays as it is; a unit a standing sign-off
locks stays on the version it was assessed and signed against. The old version's rows
(criteria, decisions, mappings) are never changed. The whole move is one transaction, with an
entry in the audit trail for every row it writes or changes.

Everything is read with a fixed number of queries and written in bulk, so moving three
hundred learners costs the same number of queries as moving three.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from accounts.permissions import can_manage_centre
from audit.chain import audit_records
from audit.enums import AuditAction
from portfolios.enums import ChangeKind
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    EvidenceCriterion,
    MovedCriterion,
    UnitSignOff,
    VersionMove,
)
from qualifications import permissions as catalogue
from qualifications.models import AssessmentCriterion, Qualification, QualificationUnit, Unit
from qualifications.versions import (
    OUTCOME_FIELDS,
    UNIT_FIELDS,
    CriterionChange,
    CriterionOutline,
    UnitDiff,
    UnitOutline,
    diff_outlines,
    qualification_versions,
)

# What becomes of a unit in a move.
MOVES = "moves"
SAME = "same"  # already on the target's version
NOT_IN_TARGET = "not_in_target"
SIGNED = "signed"

UNIT_STATUS_TEXT = {
    MOVES: "moves to the new version",
    SAME: "already on this version",
    NOT_IN_TARGET: "not in the new version: stays as it is",
    SIGNED: "signed off: stays on the version it was assessed and signed against",
}


@dataclass
class CriterionPlan:
    """One criterion the learner has work on (a decision or mapped evidence)."""

    change: CriterionChange
    old: AssessmentCriterion
    new: AssessmentCriterion | None
    decision: CriterionDecision | None  # the latest on the old criterion
    evidence_ids: list[int]
    # A decision on the new criterion already exists (the learner was on it before).
    decided_on_new: bool = False

    @property
    def reopened(self) -> bool:
        return bool(self.decision is not None and getattr(self.decision, "reopened", False))

    @property
    def carries_decision(self) -> bool:
        return (
            self.change.carries
            and self.decision is not None
            and not self.reopened
            and not self.decided_on_new
        )

    @property
    def is_flag(self) -> bool:
        if not self.change.carries:
            return True
        return self.decision is not None and self.reopened and not self.decided_on_new


@dataclass
class UnitPlan:
    row: EnrolmentUnit
    old: Unit
    new: Unit | None
    status: str
    criteria: list[CriterionPlan] = field(default_factory=list)

    @property
    def status_text(self) -> str:
        return UNIT_STATUS_TEXT[self.status]

    @property
    def carried(self) -> list[CriterionPlan]:
        return [c for c in self.criteria if c.carries_decision]

    @property
    def flagged(self) -> list[CriterionPlan]:
        return [c for c in self.criteria if c.is_flag]


@dataclass
class EnrolmentPlan:
    enrolment: Enrolment
    units: list[UnitPlan]
    problem: str = ""  # why this learner cannot be moved

    @property
    def moving_units(self) -> list[UnitPlan]:
        return [u for u in self.units if u.status == MOVES]

    @property
    def kept_units(self) -> list[UnitPlan]:
        return [u for u in self.units if u.status in (NOT_IN_TARGET, SIGNED)]

    @property
    def carried(self) -> int:
        return sum(len(u.carried) for u in self.moving_units)

    @property
    def flagged(self) -> int:
        return sum(len(u.flagged) for u in self.moving_units)


@dataclass
class MovePlan:
    to_qualification: Qualification | None
    enrolments: list[EnrolmentPlan]
    # (old unit pk, new unit pk) -> what changed between the two versions
    diffs: dict[tuple[int, int], UnitDiff]
    units: dict[int, Unit]
    to_unit: Unit | None = None  # a short course's move

    @property
    def to_version(self) -> int:
        return (self.to_qualification or self.to_unit).version

    @property
    def to_label(self) -> str:
        if self.to_qualification is not None:
            return self.to_qualification.number
        return self.to_unit.code or self.to_unit.title

    def unit_diffs(self) -> list[tuple[Unit, Unit, UnitDiff]]:
        return [
            (self.units[old], self.units[new], diff)
            for (old, new), diff in sorted(
                self.diffs.items(), key=lambda item: self.units[item[0][1]].code or ""
            )
        ]


def _outline(unit: Unit, criteria: list[AssessmentCriterion]) -> UnitOutline:
    outcomes = {}
    for c in criteria:
        outcomes.setdefault(
            c.outcome.number, {name: getattr(c.outcome, name) for name in OUTCOME_FIELDS}
        )
    return UnitOutline(
        fields={name: getattr(unit, name) for name in UNIT_FIELDS},
        outcomes=outcomes,
        criteria=[
            CriterionOutline(
                number=c.number,
                text=c.text,
                outcome=c.outcome.number,
                label=c.label,
                grade=c.grade,
                guidance=c.guidance,
            )
            for c in sorted(criteria, key=lambda c: c.sort_key)
        ],
    )


def target_versions(qualification: Qualification, user):
    """The versions of `qualification` the person may move learners to (all they may see)."""
    return catalogue.visible(qualification_versions(qualification), user)


def _check_short_course_target(enrolments, rows, to_unit: Unit, by) -> None:
    if by is not None and not catalogue.can_see(by, to_unit):
        raise ValidationError("That version of the unit is not one you can use.")
    lineages = defaultdict(set)
    for row in rows:
        lineages[row.enrolment_id].add(row.unit.lineage)
    for e in enrolments:
        if e.qualification_id is not None:
            raise ValidationError(
                f"{e.learner} is on a qualification: move them to a version of it instead."
            )
        if not catalogue.may_use(e.centre_id, to_unit):
            raise ValidationError("That version of the unit is not one the centre can use.")
        if lineages[e.pk] != {to_unit.lineage}:
            raise ValidationError(f"{to_unit} is not a version of the unit {e.learner} takes.")


def _check_target(enrolments: list[Enrolment], to_qualification: Qualification, by) -> None:
    if by is not None and not catalogue.can_see(by, to_qualification):
        raise ValidationError("That version of the qualification is not one you can use.")
    for e in enrolments:
        if e.qualification_id is None:
            raise ValidationError(
                f"{e.learner} is on a short course: there is no qualification to move."
            )
        if not catalogue.may_use(e.centre_id, to_qualification):
            raise ValidationError(
                "That version of the qualification is not one the centre can use."
            )
        if (e.qualification.number, e.qualification.centre_id) != (
            to_qualification.number,
            to_qualification.centre_id,
        ):
            raise ValidationError(
                f"{to_qualification} is not a version of {e.qualification.number} "
                f"{e.qualification.title}, which {e.learner} is on."
            )


def plan_moves(
    enrolments, to_qualification: Qualification | None = None, *, to_unit: Unit | None = None
) -> MovePlan:
    """What a move of `enrolments` to `to_qualification` (or, for short courses, to the unit
    version `to_unit`) would do, per enrolment and unit, criterion by criterion. Reads only;
    a fixed number of queries whatever the number of enrolments."""
    enrolments = list(enrolments)
    ids = [e.pk for e in enrolments]
    if to_qualification is None:
        targets = {to_unit.lineage: to_unit}
    else:
        targets = {
            link.unit.lineage: link.unit
            for link in QualificationUnit.objects.filter(qualification=to_qualification)
            .select_related("unit")
            .order_by("position")
        }
    rows = list(
        EnrolmentUnit.objects.filter(enrolment_id__in=ids)
        .select_related("unit")
        .order_by("enrolment_id", "position", "pk")
    )
    signed = set(
        UnitSignOff.objects.standing()
        .filter(enrolment_id__in=ids)
        .values_list("enrolment_id", "unit_id")
    )
    elsewhere = set()
    if to_qualification is not None:
        elsewhere = set(
            Enrolment.objects.filter(
                qualification=to_qualification,
                learner_id__in={e.learner_id for e in enrolments},
                centre_id__in={e.centre_id for e in enrolments},
            ).values_list("centre_id", "learner_id")
        )
    units: dict[int, Unit] = {}
    pairs: set[tuple[int, int]] = set()
    for row in rows:
        units[row.unit_id] = row.unit
        new = targets.get(row.unit.lineage)
        if new is not None:
            units[new.pk] = new
            if new.pk != row.unit_id:
                pairs.add((row.unit_id, new.pk))
    unit_ids = {u for pair in pairs for u in pair}
    criteria_of: dict[int, list[AssessmentCriterion]] = defaultdict(list)
    for c in AssessmentCriterion.objects.filter(unit_id__in=unit_ids).select_related("outcome"):
        criteria_of[c.unit_id].append(c)
    diffs = {
        (old, new): diff_outlines(
            _outline(units[old], criteria_of[old]), _outline(units[new], criteria_of[new])
        )
        for old, new in pairs
    }
    criterion_ids = [c.pk for unit_id in unit_ids for c in criteria_of[unit_id]]
    latest = {
        (d.enrolment_id, d.criterion_id): d
        for d in CriterionDecision.objects.filter(
            enrolment_id__in=ids, criterion_id__in=criterion_ids
        )
        .latest()
        .with_reopened()
        .select_related("decided_by")
    }
    mapped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for enrolment_id, evidence_id, criterion_id in (
        EvidenceCriterion.objects.filter(
            evidence__enrolment_id__in=ids, criterion_id__in=criterion_ids
        )
        .order_by("evidence_id")
        .values_list("evidence__enrolment_id", "evidence_id", "criterion_id")
    ):
        mapped[(enrolment_id, criterion_id)].append(evidence_id)

    by_number = {unit_id: {c.number: c for c in criteria_of[unit_id]} for unit_id in unit_ids}
    rows_of: dict[int, list[EnrolmentUnit]] = defaultdict(list)
    for row in rows:
        rows_of[row.enrolment_id].append(row)
    plans = []
    for e in enrolments:
        unit_plans = []
        for row in rows_of[e.pk]:
            new = targets.get(row.unit.lineage)
            if new is None:
                status = NOT_IN_TARGET
            elif new.pk == row.unit_id:
                status = SAME
            elif (e.pk, row.unit_id) in signed:
                status = SIGNED
            else:
                status = MOVES
            plan = UnitPlan(row=row, old=row.unit, new=new, status=status)
            if status == MOVES:
                old_numbers, new_numbers = by_number[row.unit_id], by_number[new.pk]
                for change in diffs[(row.unit_id, new.pk)].changes:
                    if change.kind == "added":
                        continue
                    old = old_numbers[change.old]
                    decision = latest.get((e.pk, old.pk))
                    evidence_ids = mapped.get((e.pk, old.pk), [])
                    if decision is None and not evidence_ids:
                        continue
                    target = new_numbers.get(change.new) if change.new else None
                    plan.criteria.append(
                        CriterionPlan(
                            change=change,
                            old=old,
                            new=target,
                            decision=decision,
                            evidence_ids=evidence_ids,
                            decided_on_new=target is not None and (e.pk, target.pk) in latest,
                        )
                    )
            unit_plans.append(plan)
        problem = ""
        if to_qualification is None:
            if all(u.status == SAME for u in unit_plans):
                problem = "already on this version"
        elif e.qualification_id == to_qualification.pk:
            problem = "already on this version"
        elif (e.centre_id, e.learner_id) in elsewhere:
            problem = "already has an enrolment on this version"
        plans.append(EnrolmentPlan(enrolment=e, units=unit_plans, problem=problem))
    return MovePlan(
        to_qualification=to_qualification,
        enrolments=plans,
        diffs=diffs,
        units=units,
        to_unit=to_unit,
    )


def _unit_name(unit: Unit) -> str:
    return f"{unit.code or unit.slug} v{unit.version}"


def _version(q: Qualification | None) -> str:
    return f"v{q.version}" if q is not None else "—"


@dataclass
class MoveResult:
    moves: list[VersionMove]
    carried: int
    flagged: int
    units_kept: int

    @property
    def moved(self) -> int:
        return len(self.moves)


def move_enrolments(
    enrolments,
    *,
    to_qualification: Qualification | None = None,
    to_unit: Unit | None = None,
    by,
) -> MoveResult:
    """Move the enrolments to `to_qualification` (a version of the qualification they are
    on), carrying what the text allows and flagging the rest; see the module's notes. Short
    courses (no qualification) move to `to_unit`, a version of the one unit they take.

    `by`: a centre admin of every enrolment's centre (None: the site's own command line).
    Refuses the whole move, changing nothing, if any enrolment cannot be moved."""
    ids = sorted({getattr(e, "pk", e) for e in enrolments})
    if (to_qualification is None) == (to_unit is None):
        raise ValidationError("Choose the version to move to.")
    if not ids:
        raise ValidationError("Choose the learners to move.")
    with transaction.atomic():
        # Only the enrolments' rows are locked (PostgreSQL refuses to lock the nullable side
        # of a join), so two admins moving the same learners take turns.
        locked = list(
            Enrolment.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("qualification", "learner", "centre")
            .order_by("pk")
        )
        if len(locked) != len(ids):
            raise ValidationError("One of those enrolments no longer exists.")
        if by is not None:
            for centre in {e.centre for e in locked}:
                if not can_manage_centre(by, centre):
                    raise ValidationError("Only the centre's admins move its learners.")
        if to_qualification is not None:
            _check_target(locked, to_qualification, by)
        else:
            rows = EnrolmentUnit.objects.filter(enrolment__in=locked).select_related("unit")
            _check_short_course_target(locked, list(rows), to_unit, by)
        plan = plan_moves(locked, to_qualification, to_unit=to_unit)
        problems = [f"{p.enrolment.learner}: {p.problem}." for p in plan.enrolments if p.problem]
        if problems:
            raise ValidationError(problems)
        return _write(plan, by=by)


def _from_version(p: EnrolmentPlan) -> int:
    if p.enrolment.qualification_id is not None:
        return p.enrolment.qualification.version
    return p.units[0].old.version if p.units else 0


def _write(plan: MovePlan, *, by) -> MoveResult:
    now = timezone.now()
    to = plan.to_qualification
    moves = [
        VersionMove(
            enrolment=p.enrolment,
            from_qualification=p.enrolment.qualification,
            to_qualification=to,
            moved_by=by,
            moved_at=now,
            summary={
                "from_version": _from_version(p),
                "to_version": plan.to_version,
                "carried": p.carried,
                "flagged": p.flagged,
                "units_moved": [[_unit_name(u.old), _unit_name(u.new)] for u in p.moving_units],
                "units_kept": [
                    {"unit": _unit_name(u.old), "reason": u.status} for u in p.kept_units
                ],
            },
        )
        for p in plan.enrolments
    ]
    VersionMove.objects.bulk_create(moves)

    carried: list[tuple[CriterionPlan, CriterionDecision]] = []
    for p in plan.enrolments:
        for u in p.moving_units:
            for c in u.carried:
                old = c.decision
                carried.append(
                    (
                        c,
                        CriterionDecision(
                            enrolment_id=p.enrolment.pk,
                            criterion=c.new,
                            unit_id=c.new.unit_id,
                            outcome=old.outcome,
                            decided_on=old.decided_on,
                            feedback=old.feedback,
                            decided_by_id=old.decided_by_id,
                            decided_at=old.decided_at,
                            carried_from=old,
                        ),
                    )
                )
    CriterionDecision.objects.bulk_create([d for _, d in carried])
    old_ids = [c.decision.pk for c, _ in carried]
    evidence_of: dict[int, list[int]] = defaultdict(list)
    for decision_id, evidence_id in DecisionEvidence.objects.filter(
        decision_id__in=old_ids
    ).values_list("decision_id", "evidence_id"):
        evidence_of[decision_id].append(evidence_id)
    DecisionEvidence.objects.bulk_create(
        [
            DecisionEvidence(decision=new, evidence_id=evidence_id)
            for c, new in carried
            for evidence_id in evidence_of[c.decision.pk]
        ]
    )
    new_of = {id(c): d for c, d in carried}

    links, flags, unit_rows = [], [], []
    for p, move in zip(plan.enrolments, moves, strict=True):
        for u in p.moving_units:
            u.row.unit = u.new
            unit_rows.append(u.row)
            for c in u.criteria:
                if c.change.carries:
                    links += [
                        EvidenceCriterion(evidence_id=eid, criterion=c.new)
                        for eid in c.evidence_ids
                    ]
                flags.append(
                    (
                        c,
                        MovedCriterion(
                            move=move,
                            from_unit=u.old,
                            to_unit=u.new,
                            old_criterion=c.old,
                            new_criterion=c.new,
                            kind=ChangeKind(c.change.kind),
                            old_decision=c.decision,
                            carried_decision=new_of.get(id(c)),
                        ),
                    )
                )
    # A mapping already there (the learner mapped the item to the new criterion) stays.
    EvidenceCriterion.objects.bulk_create(links, ignore_conflicts=True)
    MovedCriterion.objects.bulk_create([f for _c, f in flags])
    EnrolmentUnit.objects.bulk_update(unit_rows, ["unit"])
    if to is not None:
        for p in plan.enrolments:
            p.enrolment.qualification = to
        Enrolment.objects.bulk_update([p.enrolment for p in plan.enrolments], ["qualification"])

    audit_records(_entries(plan, moves, carried, flags, by=by))
    return MoveResult(
        moves=moves,
        carried=len(carried),
        flagged=sum(1 for c, _f in flags if c.is_flag),
        units_kept=sum(len(p.kept_units) for p in plan.enrolments),
    )


def _entries(plan, moves, carried, flags, *, by) -> list[dict]:
    to = plan.to_qualification
    decisions_of = defaultdict(list)
    for _c, d in carried:
        decisions_of[d.enrolment_id].append(d)
    flags_of = defaultdict(list)
    for c, f in flags:
        flags_of[f.move.enrolment_id].append((c, f))
    items = []
    for p, move in zip(plan.enrolments, moves, strict=True):
        e = p.enrolment
        summary = (
            f"Moved from v{move.summary['from_version']} to v{plan.to_version} of "
            f"{plan.to_label}: carried {p.carried}, flagged {p.flagged}"
        )
        items.append(
            {
                "action": AuditAction.VERSION_MOVED,
                "actor": by,
                "enrolment": e,
                "obj": move,
                "summary": summary,
                "data": move.summary,
            }
        )
        if to is not None:
            items.append(
                {
                    "action": AuditAction.ENROLMENT_CHANGED,
                    "actor": by,
                    "enrolment": e,
                    "obj": e,
                    "summary": f"Enrolment changed: qualification {to.number} "
                    f"{_version(move.from_qualification)} → {_version(to)}",
                    "data": {"changed": {"qualification": [move.from_qualification_id, to.pk]}},
                }
            )
        for u in p.moving_units:
            items.append(
                {
                    "action": AuditAction.UNIT_VERSION_MOVED,
                    "actor": by,
                    "enrolment": e,
                    "obj": u.row,
                    "summary": f"{_unit_name(u.old)} moved to {_unit_name(u.new)}",
                    "data": {"unit": [u.old.pk, u.new.pk]},
                }
            )
        for d in decisions_of[e.pk]:
            items.append(
                {
                    "action": AuditAction.DECISION_CARRIED,
                    "actor": by,
                    "enrolment": e,
                    "obj": d,
                    "summary": f"{_unit_name(plan.units[d.unit_id])} "
                    f"{d.criterion.number}: {d.get_outcome_display()} carried from "
                    f"v{move.summary['from_version']}",
                    "data": {
                        "criterion": d.criterion.number,
                        "carried_from": d.carried_from_id,
                        "outcome": d.outcome,
                        "decided_on": d.decided_on,
                    },
                }
            )
        for c, f in flags_of[e.pk]:
            old = f.old_criterion
            items.append(
                {
                    "action": AuditAction.CRITERION_FLAGGED
                    if c.is_flag
                    else AuditAction.CRITERION_MOVED,
                    "actor": by,
                    "enrolment": e,
                    "obj": f,
                    "summary": f"{old.number} {f.get_kind_display().lower()}: "
                    + ("decide again" if c.is_flag else "carried"),
                    "data": {
                        "kind": f.kind,
                        "old": old.number,
                        "new": f.new_criterion.number if f.new_criterion else "",
                        "old_decision": f.old_decision_id,
                        "carried_decision": f.carried_decision_id,
                    },
                }
            )
    return items


# ---------------------------------------------------------------- reading moves back


@dataclass(frozen=True)
class Flag:
    """A criterion the tutor has to decide again after a move."""

    unit_id: int
    unit_label: str
    criterion_id: int
    number: str  # the old number
    new_number: str
    kind: str
    kind_label: str
    version: int
    old_outcome: str  # "" when the learner had only evidence on it
    old_decided_on: datetime.date | None

    @property
    def text(self) -> str:
        if self.kind == ChangeKind.REWORDED:
            head = f"Criterion {self.number} was reworded in version {self.version}"
        else:
            # Same words, but a referral had reopened the decision: it is decided again.
            now = f" (now {self.new_number})" if self.new_number != self.number else ""
            head = f"Criterion {self.number}{now} was reopened by a referral before the move"
        if self.old_outcome:
            date = f"{self.old_decided_on.day} {self.old_decided_on:%B %Y}"
            return (
                f"{head}; the earlier decision ({self.old_outcome}, {date}) was not carried: "
                "decide again"
            )
        return f"{head}; the evidence mapped to it was not carried: map and decide again"


def _open_flag_rows():
    """Flags still waiting for a decision on the new criterion. (A removed criterion has
    nothing to decide: the move's history names what was lost.)"""
    decided = CriterionDecision.objects.filter(
        enrolment_id=OuterRef("move__enrolment_id"), criterion_id=OuterRef("new_criterion_id")
    )
    # Only units the learner is still on that version of (a later move may have taken the
    # unit on again).
    taken = EnrolmentUnit.objects.filter(
        enrolment_id=OuterRef("move__enrolment_id"), unit_id=OuterRef("to_unit_id")
    )
    return (
        MovedCriterion.objects.filter(carried_decision__isnull=True, new_criterion__isnull=False)
        .exclude(kind__in=[ChangeKind.UNCHANGED, ChangeKind.RENUMBERED], old_decision=None)
        .annotate(decided=Exists(decided), taken=Exists(taken))
        .filter(decided=False, taken=True)
    )


def open_flags(enrolment, unit_ids=None) -> list[Flag]:
    """The enrolment's open flags (of these units), oldest first. One query."""
    rows = (
        _open_flag_rows()
        .filter(move__enrolment=enrolment)
        .select_related("to_unit", "old_criterion", "new_criterion", "old_decision")
        .order_by("move__moved_at", "pk")
    )
    if unit_ids is not None:
        rows = rows.filter(to_unit_id__in=list(unit_ids))
    return [
        Flag(
            unit_id=r.to_unit_id,
            unit_label=r.to_unit.code or r.to_unit.title,
            criterion_id=r.new_criterion_id,
            number=r.old_criterion.number,
            new_number=r.new_criterion.number,
            kind=r.kind,
            kind_label=r.get_kind_display(),
            version=r.to_unit.version,
            old_outcome=r.old_decision.get_outcome_display() if r.old_decision else "",
            old_decided_on=r.old_decision.decided_on if r.old_decision else None,
        )
        for r in rows
    ]


def open_flag_counts(tutor, centres) -> list[tuple[Enrolment, int]]:
    """The tutor's learners (at these centres) with criteria to decide again after a move,
    and how many each. Two queries."""
    counts = dict(
        _open_flag_rows()
        .filter(move__enrolment__tutor=tutor, move__enrolment__centre__in=list(centres))
        .order_by()
        .values_list("move__enrolment_id")
        .annotate(n=Count("pk"))
    )
    enrolments = Enrolment.objects.filter(pk__in=counts).select_related("learner")
    return [(e, counts[e.pk]) for e in enrolments.order_by("learner__last_name", "pk")]


def move_history(enrolment) -> list[VersionMove]:
    """The enrolment's moves between versions, oldest first, with their criteria. Two
    queries."""
    return list(
        VersionMove.objects.filter(enrolment=enrolment)
        .select_related("from_qualification", "to_qualification", "moved_by")
        .prefetch_related("criteria__old_criterion", "criteria__new_criterion", "criteria__to_unit")
        .order_by("moved_at", "pk")
    )
