"""A portfolio's state per criterion, outcome and unit, computed in Python from plain rows.

Nothing here touches the database: the selectors fetch a fixed number of querysets and hand
them over, so the portfolio page costs the same number of queries for one unit or forty.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from portfolios.achievement import Achievement, GradedCriterion, UnitAchievement, achievement_of
from portfolios.enums import CriterionStatus, EvidenceState
from portfolios.state import criterion_status, met_criterion_ids, state_of

# The order statuses are shown in (legend, unit summaries).
STATUS_ORDER = [
    CriterionStatus.MET,
    CriterionStatus.NOT_YET_MET,
    CriterionStatus.SUBMITTED,
    CriterionStatus.LINKED,
    CriterionStatus.NO_EVIDENCE,
]


def criterion_statuses(
    *,
    criterion_ids: Iterable[int],
    links: Iterable[tuple[int, int]],
    evidence_states: Mapping[int, EvidenceState],
    decisions: Mapping[int, str],
) -> dict[int, CriterionStatus]:
    """Status of each criterion from (evidence_id, criterion_id) links and the decisions."""
    states_by_criterion = defaultdict(list)
    for evidence_id, criterion_id in links:
        states_by_criterion[criterion_id].append(evidence_states[evidence_id])
    return {
        cid: criterion_status(decision=decisions.get(cid), evidence_states=states_by_criterion[cid])
        for cid in criterion_ids
    }


def percent(part: int, whole: int) -> int:
    """Whole per cent, rounded down: a portfolio shows 100 only when everything is met."""
    return part * 100 // whole if whole else 0


@dataclass
class Tally:
    total: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(STATUS_ORDER, 0))

    def add(self, status: CriterionStatus) -> None:
        self.total += 1
        self.counts[status] += 1

    @property
    def met(self) -> int:
        return self.counts[CriterionStatus.MET]

    @property
    def percent(self) -> int:
        return percent(self.met, self.total)

    @property
    def with_evidence(self) -> int:
        return self.total - self.counts[CriterionStatus.NO_EVIDENCE]

    # The one progress measure every page shows (dashboard, portfolio, unit): each criterion
    # is met, evidenced (evidence linked, submitted or judged not yet met) or still to do.
    @property
    def evidenced(self) -> int:
        return self.with_evidence - self.met

    @property
    def to_do(self) -> int:
        return self.counts[CriterionStatus.NO_EVIDENCE]

    @property
    def evidenced_percent(self) -> int:
        return percent(self.evidenced, self.total)

    def bar(self) -> list[tuple[str, int, float]]:
        """(part, count, x offset) of each part of the stacked bar, in criteria."""
        parts, x = [], 0
        shares = (("met", self.met), ("evidenced", self.evidenced), ("to_do", self.to_do))
        for name, count in shares:
            parts.append((name, count, x))
            x += count
        return parts

    def rows(self) -> list[tuple[CriterionStatus, str, int]]:
        return [(status, status.label, self.counts[status]) for status in STATUS_ORDER]


@dataclass
class EvidenceRef:
    """What a criterion row shows of an evidence item."""

    id: int
    reference: str
    title: str
    state: EvidenceState


@dataclass
class CriterionRow:
    criterion: object
    status: CriterionStatus
    evidence: list[EvidenceRef]
    guidance: str


@dataclass
class OutcomeRow:
    outcome: object
    criteria: list[CriterionRow]


@dataclass
class UnitRow:
    unit: object
    is_mandatory: bool
    outcomes: list[OutcomeRow]
    tally: Tally
    achievement: UnitAchievement | None = None


@dataclass
class Portfolio:
    units: list[UnitRow]
    tally: Tally
    evidence_count: int
    draft_count: int
    achievement: Achievement = field(default_factory=Achievement)


def tally_of(
    *,
    criteria: Iterable[tuple[int, int]],
    links: Iterable[tuple[int, int]],
    evidence_states: Mapping[int, EvidenceState],
    decisions: Mapping[int, str],
) -> tuple[Tally, dict[int, Tally]]:
    """The overall tally and one per unit, from (criterion_id, unit_id) pairs, the
    (evidence_id, criterion_id) links and {criterion_id: effective outcome}: the same
    statuses `build_portfolio` shows, for pages that show only the numbers."""
    criteria = list(criteria)
    statuses = criterion_statuses(
        criterion_ids=[c for c, _ in criteria],
        links=[(e, c) for e, c in links if e in evidence_states],
        evidence_states=evidence_states,
        decisions=decisions,
    )
    overall, units = Tally(), defaultdict(Tally)
    for criterion_id, unit_id in criteria:
        overall.add(statuses[criterion_id])
        units[unit_id].add(statuses[criterion_id])
    return overall, dict(units)


def build_portfolio(
    *,
    units: Iterable,
    mandatory_unit_ids: set[int],
    outcomes: Iterable,
    criteria: Iterable,
    evidence: Iterable,
    links: Iterable[tuple[int, int]],
    decisions: Mapping[int, str],
    scheme: dict | None = None,
) -> Portfolio:
    """Arrange criteria under outcomes and units, each with its status and mapped evidence,
    and grade them (`achievement`; `scheme`: the qualification's points table).

    `criteria` must be in display order (unit, then sort key); `outcomes` likewise;
    `evidence` fetched `with_state()`; `decisions`: {criterion_id: effective outcome}.
    """
    refs = {}
    draft_count = 0
    for item in evidence:
        state = state_of(item)
        draft_count += state == EvidenceState.DRAFT
        refs[item.pk] = EvidenceRef(item.pk, item.reference, item.title, state)
    links = list(links)
    criteria = list(criteria)
    statuses = criterion_statuses(
        criterion_ids=[c.pk for c in criteria],
        links=links,
        evidence_states={pk: ref.state for pk, ref in refs.items()},
        decisions=decisions,
    )
    evidence_by_criterion = defaultdict(list)
    for evidence_id, criterion_id in links:
        evidence_by_criterion[criterion_id].append(refs[evidence_id])

    outcome_rows = {}
    outcomes_by_unit = defaultdict(list)
    for outcome in outcomes:
        row = OutcomeRow(outcome=outcome, criteria=[])
        outcome_rows[outcome.pk] = row
        outcomes_by_unit[outcome.unit_id].append(row)

    unit_tallies = defaultdict(Tally)
    overall = Tally()
    for criterion in criteria:
        outcome_row = outcome_rows.get(criterion.outcome_id)
        if outcome_row is None:
            continue
        status = statuses[criterion.pk]
        outcome_row.criteria.append(
            CriterionRow(
                criterion=criterion,
                status=status,
                evidence=sorted(
                    evidence_by_criterion[criterion.pk],
                    key=lambda r: (len(r.reference), r.reference),
                ),
                guidance=criterion.guidance or outcome_row.outcome.guidance,
            )
        )
        unit_tallies[criterion.unit_id].add(status)
        overall.add(status)

    units = list(units)
    achievement = achievement_of(
        criteria=[GradedCriterion.of(c) for c in criteria],
        met_ids=met_criterion_ids(decisions),
        credits={unit.pk: unit.credit_value for unit in units},
        scheme=scheme,
    )
    unit_rows = [
        UnitRow(
            unit=unit,
            is_mandatory=unit.pk in mandatory_unit_ids,
            outcomes=outcomes_by_unit[unit.pk],
            tally=unit_tallies[unit.pk],
            achievement=achievement.units.get(unit.pk),
        )
        for unit in units
    ]
    return Portfolio(
        units=unit_rows,
        tally=overall,
        evidence_count=len(refs),
        draft_count=draft_count,
        achievement=achievement,
    )
