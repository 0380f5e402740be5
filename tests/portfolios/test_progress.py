"""The status logic alone: plain objects in, statuses and percentages out (no database)."""

import datetime
from types import SimpleNamespace

from portfolios.enums import CriterionStatus, EvidenceState
from portfolios.models import Evidence
from portfolios.progress import build_portfolio, criterion_statuses, percent
from portfolios.state import criterion_status

NOW = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


def test_decision_wins_over_evidence():
    submitted = [EvidenceState.SUBMITTED]
    assert criterion_status(decision="met", evidence_states=submitted) == CriterionStatus.MET
    assert (
        criterion_status(decision="not_yet_met", evidence_states=submitted)
        == CriterionStatus.NOT_YET_MET
    )


def test_evidence_states_without_decision():
    assert criterion_status(decision=None, evidence_states=[]) == CriterionStatus.NO_EVIDENCE
    assert (
        criterion_status(decision=None, evidence_states=[EvidenceState.DRAFT])
        == CriterionStatus.LINKED
    )
    assert (
        criterion_status(
            decision=None, evidence_states=[EvidenceState.DRAFT, EvidenceState.SUBMITTED]
        )
        == CriterionStatus.SUBMITTED
    )
    assert (
        criterion_status(decision=None, evidence_states=[EvidenceState.ASSESSED])
        == CriterionStatus.SUBMITTED
    )


def test_superseded_evidence_no_longer_counts():
    assert (
        criterion_status(decision=None, evidence_states=[EvidenceState.SUPERSEDED])
        == CriterionStatus.NO_EVIDENCE
    )


def test_statuses_for_many_criteria():
    statuses = criterion_statuses(
        criterion_ids=[1, 2, 3, 4],
        links=[(10, 1), (11, 2), (10, 2)],
        evidence_states={10: EvidenceState.DRAFT, 11: EvidenceState.SUBMITTED},
        decisions={4: "met"},
    )
    assert statuses == {
        1: CriterionStatus.LINKED,
        2: CriterionStatus.SUBMITTED,
        3: CriterionStatus.NO_EVIDENCE,
        4: CriterionStatus.MET,
    }


def test_percent_rounds_down_so_100_means_all_met():
    assert percent(534, 535) == 99
    assert percent(535, 535) == 100
    assert percent(0, 0) == 0


def _evidence(pk, reference, *, submitted=False, supersedes=None, superseded=False):
    item = Evidence(
        pk=pk,
        reference=reference,
        title=f"Item {reference}",
        submitted_at=NOW if submitted else None,
        supersedes_id=supersedes,
    )
    item.is_superseded = superseded  # as `with_state()` annotates it
    return item


def test_build_portfolio_per_unit_and_overall():
    unit_a = SimpleNamespace(pk=1, code="A", credit_value=None)
    unit_b = SimpleNamespace(pk=2, code="B", credit_value=None)
    outcomes = [
        SimpleNamespace(pk=11, unit_id=1, guidance="Outcome range"),
        SimpleNamespace(pk=21, unit_id=2, guidance=""),
    ]
    criteria = [
        SimpleNamespace(
            pk=101, unit_id=1, outcome_id=11, grade="", shown_number="1.1", guidance=""
        ),
        SimpleNamespace(
            pk=102, unit_id=1, outcome_id=11, grade="", shown_number="1.2", guidance="Own guidance"
        ),
        SimpleNamespace(
            pk=201, unit_id=2, outcome_id=21, grade="", shown_number="1.1", guidance=""
        ),
        SimpleNamespace(
            pk=202, unit_id=2, outcome_id=21, grade="", shown_number="1.2", guidance=""
        ),
    ]
    evidence = [
        _evidence(1, "E001", submitted=True, superseded=True),
        _evidence(2, "E002"),
        _evidence(3, "E003", submitted=True, supersedes=1),
    ]
    portfolio = build_portfolio(
        units=[unit_a, unit_b],
        mandatory_unit_ids={1},
        outcomes=outcomes,
        criteria=criteria,
        evidence=evidence,
        links=[(1, 101), (3, 101), (2, 201), (1, 202)],
        decisions={102: "met", 201: "not_yet_met"},
    )
    a, b = portfolio.units
    rows = {c.criterion.pk: c for u in portfolio.units for o in u.outcomes for c in o.criteria}
    assert {pk: r.status for pk, r in rows.items()} == {
        101: CriterionStatus.SUBMITTED,
        102: CriterionStatus.MET,
        201: CriterionStatus.NOT_YET_MET,
        202: CriterionStatus.NO_EVIDENCE,  # only superseded evidence
    }
    assert [r.reference for r in rows[101].evidence] == ["E001", "E003"]
    assert rows[101].evidence[0].state == EvidenceState.SUPERSEDED
    assert rows[101].guidance == "Outcome range"
    assert rows[102].guidance == "Own guidance"
    assert (a.is_mandatory, a.tally.met, a.tally.total, a.tally.percent) == (True, 1, 2, 50)
    assert (b.is_mandatory, b.tally.met, b.tally.percent) == (False, 0, 0)
    assert (portfolio.tally.met, portfolio.tally.total, portfolio.tally.percent) == (1, 4, 25)
    assert portfolio.evidence_count == 3
    assert portfolio.draft_count == 1
