"""What an evidence item's page says of the judgement on each criterion it covers, and what
the learner has to do about it. Pure: the selectors fetch the rows (a fixed number of queries
however many criteria the item covers) and every meaning comes from `portfolios.state`.
"""

from dataclasses import dataclass, field

from portfolios.enums import CriterionStatus, EvidenceState
from portfolios.state import criterion_status


@dataclass(frozen=True)
class CriterionJudgement:
    criterion: object
    status: CriterionStatus
    decision: object | None  # record.DecisionSummary of the criterion's latest decision
    referred: bool  # a moderator's open referral reopened it, or its unit

    @property
    def needs_action(self) -> bool:
        return self.status == CriterionStatus.NOT_YET_MET or self.referred


@dataclass
class ItemJudgement:
    rows: list[CriterionJudgement] = field(default_factory=list)

    @property
    def to_act_on(self) -> list[CriterionJudgement]:
        return [row for row in self.rows if row.needs_action]

    @property
    def action_needed(self) -> bool:
        return bool(self.to_act_on)

    @property
    def not_met_ids(self) -> list[int]:
        return [row.criterion.pk for row in self.to_act_on]

    @property
    def summary(self) -> str:
        """ "2 criteria not yet met" (or referred back), for the badge and the notices."""
        not_met = sum(row.status == CriterionStatus.NOT_YET_MET for row in self.rows)
        referred = sum(
            row.referred and row.status != CriterionStatus.NOT_YET_MET for row in self.rows
        )
        parts = []
        if not_met:
            parts.append(f"{not_met} criteri{'on' if not_met == 1 else 'a'} not yet met")
        if referred:
            parts.append(f"{referred} referred back")
        return ", ".join(parts)


def judge_item(
    *, criteria, state: EvidenceState, decisions: dict, referred_unit_ids: set[int]
) -> ItemJudgement:
    """Each criterion the item covers with its standing outcome (`state.criterion_status`:
    the criterion's latest decision wins; without one, where this item is) and the decision
    it rests on. `decisions`: {criterion_id: record.DecisionSummary}."""
    rows = []
    for criterion in criteria:
        decision = decisions.get(criterion.pk)
        rows.append(
            CriterionJudgement(
                criterion=criterion,
                status=criterion_status(
                    decision=decision.effective_outcome if decision else None,
                    evidence_states=[state],
                ),
                decision=decision,
                referred=bool(decision and decision.reopened)
                or criterion.unit_id in referred_unit_ids,
            )
        )
    return ItemJudgement(rows)
