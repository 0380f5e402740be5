"""Proposing an internal moderator's sample, and where it stands. Pure Python, no queries.

The proposal is deterministic: learners and units are ranked by a SHA-256 of the plan's and
their ids (stable across runs and machines; another plan ranks them differently, so samples
rotate), the top share is taken, and every risk-flagged learner or unit is added on top.

- learners: `learner_rate`% of the tutor's learners on the qualification (all of them for a
  new tutor), plus each watched learner and each learner with submitted evidence of a
  watched method or kept at a watched location;
- units of each sampled learner: `unit_rate`% of their units (at least one), plus the units
  new to the tutor or centre and the units covered by that watched evidence.
"""

import datetime
import hashlib
import math
from dataclasses import dataclass, field

from moderation.enums import CellState, SampleOutcome, SampleStage


def stable_rank(*parts) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:16], 16)


def share(rate: int, count: int) -> int:
    """How many of `count` make `rate` per cent, rounded up (25% of 3 learners is 1)."""
    return math.ceil(rate * count / 100)


@dataclass
class Cell:
    enrolment_id: int
    unit_id: int
    sampled: bool
    reasons: list[str]
    state: CellState
    stage: SampleStage | None  # what is due: interim or summative
    unit: object = None
    learner: object = None

    @property
    def has_work(self) -> bool:
        """Something the moderator could sample now (in the plan's sample or not)."""
        return self.stage is not None


@dataclass
class Row:
    enrolment: object
    sampled: bool
    reasons: list[str]
    cells: list  # one per grid column: a Cell, or None where the learner does not take the unit
    planned_on: datetime.date | None = None
    # The planned date has passed and the sample has not happened: work is still due, or
    # nothing of the learner's has been moderated at all.
    overdue: bool = False


@dataclass
class Coverage:
    learners_total: int = 0
    learner_rate: int = 0
    unit_rate: int = 0
    learners_target: int = 0
    learners_proposed: int = 0
    learners_moderated: int = 0
    # The units the plan proposes: cells_proposed = done + referred + due + not_ready.
    cells_proposed: int = 0
    cells_due: int = 0
    cells_done: int = 0
    cells_referred: int = 0
    cells_not_ready: int = 0
    # Units moderated although the plan did not propose them (a moderator's own choice),
    # agreed or referred.
    cells_outside_done: int = 0
    cells_outside_referred: int = 0
    learners_overdue: int = 0

    @property
    def cells_outside(self) -> int:
        return self.cells_outside_done + self.cells_outside_referred

    @property
    def cells_moderated(self) -> int:
        """Every unit with an internal decision: agreed or referred in the sample, or
        moderated outside it. The one sum every page shows."""
        return self.cells_done + self.cells_referred + self.cells_outside

    @property
    def referred_total(self) -> int:
        return self.cells_referred + self.cells_outside_referred

    @property
    def learner_percent(self) -> int:
        """Learners with at least one moderated unit, as a share of all the tutor's learners."""
        return self.learners_moderated * 100 // self.learners_total if self.learners_total else 0

    @property
    def cell_percent(self) -> int:
        return self.cells_done * 100 // self.cells_proposed if self.cells_proposed else 0

    @property
    def meets_learner_target(self) -> bool:
        return self.learners_moderated >= self.learners_target


@dataclass
class Grid:
    plan: object
    units: list
    rows: list[Row]
    coverage: Coverage = field(default_factory=Coverage)


def cell_state(*, plan, sampled: bool, decided: bool, signed_id, moderated) -> tuple:
    """(state, stage due) of one learner and unit. `moderated` is the newest internal sample
    decision of it, or None."""
    if moderated is not None and moderated.outcome == SampleOutcome.REFERRED:
        return CellState.REFERRED, None
    if signed_id is not None and plan.include_summative:
        if moderated is not None and moderated.sign_off_id == signed_id:
            return CellState.DONE, None
        return (CellState.DUE if sampled else CellState.NOT_SAMPLED), SampleStage.SUMMATIVE
    if signed_id is None and decided and plan.include_interim:
        if moderated is not None and moderated.stage == SampleStage.INTERIM:
            return CellState.DONE, None
        return (CellState.DUE if sampled else CellState.NOT_SAMPLED), SampleStage.INTERIM
    if moderated is not None:
        return CellState.DONE, None
    return (CellState.NOT_READY if sampled else CellState.NOT_SAMPLED), None


def build_grid(
    *,
    plan,
    enrolments,
    units_by_enrolment,
    unit_order,
    units,
    new_units,
    risk_methods,
    risk_learners,
    risky_evidence,
    decided,
    signed,
    moderated,
    planned=None,
    today: datetime.date | None = None,
) -> Grid:
    """`planned`: {enrolment id: planned sample date}; `today`: the centre's date, against
    which a planned date is overdue."""
    planned = planned or {}
    locations = plan.location_words
    learner_reasons: dict[int, list[str]] = {}
    unit_reasons: dict[tuple[int, int], list[str]] = {}
    mine = {e.pk for e in enrolments}
    for e in enrolments:
        if e.learner_id in risk_learners:
            learner_reasons.setdefault(e.pk, []).append("learner to watch")
    for eid, uid, method_id, location, reference in risky_evidence:
        if eid not in mine:
            continue
        why = None
        if method_id in risk_methods:
            why = f"{reference}: method to watch"
        elif location and any(word in location.lower() for word in locations):
            why = f"{reference}: location to watch"
        if why:
            if why not in learner_reasons.setdefault(eid, []):
                learner_reasons[eid].append(why)
            unit_reasons.setdefault((eid, uid), []).append(why)

    learner_rate = 100 if plan.new_tutor else plan.learner_rate
    ranked = sorted(enrolments, key=lambda e: stable_rank(plan.pk, "learner", e.pk))
    sampled_learners = {e.pk for e in ranked[: share(learner_rate, len(ranked))]}
    sampled_learners |= set(learner_reasons)

    column_ids = sorted(
        {uid for e in enrolments for uid in units_by_enrolment.get(e.pk, [])},
        key=lambda uid: (unit_order.get(uid, 10_000), uid),
    )
    coverage = Coverage(
        learners_total=len(enrolments),
        learner_rate=learner_rate,
        unit_rate=plan.unit_rate,
        learners_target=share(learner_rate, len(enrolments)),
    )
    rows = []
    for e in enrolments:
        own = units_by_enrolment.get(e.pk, [])
        sampled_units: set[int] = set()
        if e.pk in sampled_learners:
            ranked_units = sorted(own, key=lambda uid, e=e: stable_rank(plan.pk, "unit", e.pk, uid))
            sampled_units = set(ranked_units[: max(1, share(plan.unit_rate, len(own)))])
            sampled_units |= {uid for uid in own if uid in new_units}
            sampled_units |= {uid for uid in own if (e.pk, uid) in unit_reasons}
        cells = []
        moderated_any = False
        for uid in column_ids:
            if uid not in own:
                cells.append(None)
                continue
            reasons = list(unit_reasons.get((e.pk, uid), []))
            if uid in new_units and e.pk in sampled_learners:
                reasons.append("new unit")
            is_sampled = uid in sampled_units
            state, stage = cell_state(
                plan=plan,
                sampled=is_sampled,
                decided=(e.pk, uid) in decided,
                signed_id=signed.get((e.pk, uid)),
                moderated=moderated.get((e.pk, uid)),
            )
            cells.append(
                Cell(
                    e.pk,
                    uid,
                    is_sampled,
                    reasons,
                    state,
                    stage,
                    units[uid],
                    e.learner,
                )
            )
            if state in (CellState.DONE, CellState.REFERRED):
                moderated_any = True
                if not is_sampled:
                    coverage.cells_outside_done += state == CellState.DONE
                    coverage.cells_outside_referred += state == CellState.REFERRED
            if is_sampled:
                coverage.cells_proposed += 1
                coverage.cells_due += state == CellState.DUE
                coverage.cells_done += state == CellState.DONE
                coverage.cells_referred += state == CellState.REFERRED
                coverage.cells_not_ready += state == CellState.NOT_READY
        reasons = list(learner_reasons.get(e.pk, []))
        if plan.new_tutor:
            reasons.insert(0, "new tutor")
        planned_on = planned.get(e.pk)
        overdue = bool(
            planned_on
            and today
            and planned_on < today
            and (
                not moderated_any or any(c is not None and c.state == CellState.DUE for c in cells)
            )
        )
        rows.append(Row(e, e.pk in sampled_learners, reasons, cells, planned_on, overdue))
        coverage.learners_overdue += overdue
        coverage.learners_proposed += e.pk in sampled_learners
        coverage.learners_moderated += moderated_any
    return Grid(plan=plan, units=[units[uid] for uid in column_ids], rows=rows, coverage=coverage)
