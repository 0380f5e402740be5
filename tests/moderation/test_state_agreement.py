"""Every surface that shows a criterion's standing agrees, whatever the history behind it.

Random histories (evidence, corrections in draft and submitted, decisions, sign-offs,
referrals that reopen criteria or a signed unit, agreements that close them) are built through
the real services; then the portfolio page, the tutor's record, the unit progress the reports
and exports count, the centre's progress export, the printed checklist and the EQA bundle are
read, and each must report the same status of every criterion and the same locked units.
"""

import csv
import io
import random
import zipfile

from django.core.exceptions import ValidationError

from accounts.enums import Role
from centres.exports import progress_rows
from checklists.bundle import build_bundle
from checklists.data import filled_for_enrolment
from checklists.enums import Layout
from moderation import dashboards, record
from moderation.enums import SampleOutcome
from portfolios import services as portfolio_services
from portfolios.enums import CriterionStatus, DecisionOutcome
from portfolios.models import Evidence, EvidenceCriterion, ReopenedCriterion, Reopening
from portfolios.record import locked_unit_ids
from portfolios.selectors import portfolio_for
from tests.factories import MembershipFactory, UserFactory
from tests.moderation.conftest import add_evidence, criteria, decide, enrol, moderate, sign

SEEDS = range(12)
STEPS = 14
# Signing and referring come often enough that locked units and referred sign-offs happen.
STEP_WEIGHTS = [
    *["evidence", "evidence", "correct", "decide", "decide"],
    *["sign", "sign", "refer", "refer", "agree"],
]


def _act(rng, *, enrolment, learner, tutor, iqa, units):
    """One random step of a portfolio's life; a refused step (the services' rules) is skipped,
    as it would be for a person who tried it."""
    unit = rng.choice(units)
    unit_criteria = criteria(unit)
    step = rng.choice(STEP_WEIGHTS)
    try:
        if step == "evidence":
            add_evidence(
                enrolment,
                learner,
                criteria_list=unit_criteria
                if rng.random() < 0.5
                else rng.sample(unit_criteria, rng.randint(1, len(unit_criteria))),
                title=f"Item {rng.randint(1, 10_000)}",
                submit=rng.random() < 0.75,
            )
        elif step == "correct":
            original = rng.choice(list(Evidence.objects.current().filter(enrolment=enrolment)))
            correction = portfolio_services.evidence_create(
                enrolment=enrolment,
                by=learner,
                title=f"{original.title}, corrected",
                method=original.method,
                date=original.date,
                text="Corrected account.",
                supersedes=original,
            )
            if rng.random() < 0.5:
                portfolio_services.evidence_submit(
                    items=[correction], by=learner, declaration_confirmed=True
                )
        elif step == "decide":
            if rng.random() < 0.5:
                chosen, outcome = unit_criteria, DecisionOutcome.MET
            else:
                chosen = rng.sample(unit_criteria, rng.randint(1, len(unit_criteria)))
                outcome = rng.choice([DecisionOutcome.MET, DecisionOutcome.NOT_YET_MET])
            decide(enrolment, tutor, chosen, outcome)
        elif step == "sign":
            sign(enrolment, unit, tutor)
        elif step == "refer":
            decided = [c for c in unit_criteria if c.decisions.filter(enrolment=enrolment).exists()]
            reopen = rng.sample(decided, rng.randint(0, len(decided))) if decided else []
            moderate(enrolment, unit, iqa, SampleOutcome.REFERRED, reopen_criteria=reopen)
        else:
            moderate(enrolment, unit, iqa, SampleOutcome.AGREED)
    except (ValidationError, IndexError):
        pass


def _statuses_everywhere(enrolment, admin, units):
    """{surface: {criterion_id: status}} and {surface: locked unit ids}."""
    by_number = {(c.unit_id, c.number): c.pk for u in units for c in criteria(u)}
    portfolio = {
        row.criterion.pk: row.status
        for unit in portfolio_for(enrolment).units
        for outcome in unit.outcomes
        for row in outcome.criteria
    }
    unit_records = record.enrolment_record(enrolment)
    tutor_view = {
        line.criterion.pk: line.status or None for unit in unit_records for line in unit.lines
    }
    checklist = filled_for_enrolment(enrolment, Layout.ACHIEVEMENT)
    printed = {
        by_number[(block.unit_id, row.number)]: row.decision or None
        for block in checklist.units
        for outcome in block.outcomes
        for row in outcome.rows
    }
    printed_evidence = {
        by_number[(block.unit_id, row.number)]: sorted(i.reference for i in row.evidence)
        for block in checklist.units
        for outcome in block.outcomes
        for row in outcome.rows
    }
    record_evidence = {
        line.criterion.pk: sorted(e.reference for e in line.evidence)
        for unit in unit_records
        for line in unit.lines
    }
    with zipfile.ZipFile(build_bundle(enrolment, by=admin)) as archive:
        text = archive.read("decisions.csv").decode("utf-8-sig")
    bundle = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["Standing"] != "superseded":
            unit_id = next(u.pk for u in units if (u.code or u.title) == row["Unit"])
            met = row["Standing"] == DecisionOutcome.MET.label
            bundle[by_number[(unit_id, row["Criterion"])]] = (
                DecisionOutcome.MET if met else DecisionOutcome.NOT_YET_MET
            )
    progress = dashboards.unit_progress([enrolment.pk])
    export = {
        row[4]: (row[6], row[7], row[11])
        for row in progress_rows(enrolment.centre)
        if row[0] == str(enrolment.learner)
    }
    locked = {
        "state": locked_unit_ids(enrolment),
        "record": {u.unit.pk for u in unit_records if u.is_signed},
        "progress": {unit_id for (_, unit_id), p in progress.items() if p["signed"]},
        "export": {u.pk for u in units if export[u.code][2].startswith("signed")},
    }
    return {
        "portfolio": portfolio,
        "tutor": tutor_view,
        "checklist": printed,
        "bundle": bundle,
        "printed evidence": printed_evidence,
        "record evidence": record_evidence,
        "progress": {u.pk: progress[(enrolment.pk, u.pk)]["met"] for u in units},
        "export": {u.pk: export[u.code][0] for u in units},
    }, locked


def _assert_agreement(enrolment, admin, units):
    seen, locked = _statuses_everywhere(enrolment, admin, units)
    status = seen["portfolio"]
    met = {pk for pk, s in status.items() if s == CriterionStatus.MET}
    not_met = {pk for pk, s in status.items() if s == CriterionStatus.NOT_YET_MET}
    for surface in ("tutor", "checklist", "bundle"):
        decided = seen[surface]
        assert {pk for pk, d in decided.items() if d == DecisionOutcome.MET} == met, surface
        assert {pk for pk, d in decided.items() if d == DecisionOutcome.NOT_YET_MET} == not_met, (
            surface
        )
    # Counted met per unit: the progress the reports read and the exported numbers.
    for unit in units:
        expected = sum(1 for c in criteria(unit) if c.pk in met)
        assert seen["progress"][unit.pk] == expected
        assert seen["export"][unit.pk] == expected
    # Current evidence: what the tutor sees and what the checklist prints.
    assert seen["printed evidence"] == seen["record evidence"]
    current = set(
        EvidenceCriterion.objects.filter(
            evidence__in=Evidence.objects.current().filter(enrolment=enrolment)
        ).values_list("criterion_id", flat=True)
    )
    assert {pk for pk, refs in seen["record evidence"].items() if refs} == current
    assert {pk for pk in current if pk not in met | not_met} == {
        pk for pk, s in status.items() if s == CriterionStatus.SUBMITTED
    }
    assert len({frozenset(v) for v in locked.values()}) == 1, locked
    return {
        "met": bool(met),
        "not yet met": bool(not_met),
        "locked": bool(locked["state"]),
        "reopened criterion": ReopenedCriterion.objects.filter(
            reopening__enrolment=enrolment, reopening__closure__isnull=True
        ).exists(),
        "referred sign-off": Reopening.objects.filter(
            enrolment=enrolment, sign_off__isnull=False
        ).exists(),
        "correction in draft": Evidence.objects.drafts()
        .filter(enrolment=enrolment, supersedes__isnull=False)
        .exists(),
        "submitted correction": Evidence.objects.superseded().filter(enrolment=enrolment).exists(),
    }


def test_every_surface_reports_the_same_status(catalogue, learner, tutor, centre, centre_admin):
    iqa = UserFactory(username="iris")
    MembershipFactory(user=iqa, centre=centre, role=Role.INTERNAL_MODERATOR)
    units = [catalogue.unit_a, catalogue.unit_b]
    covered = set()
    for seed in SEEDS:
        person = UserFactory(username=f"learner{seed}")
        MembershipFactory(user=person, centre=centre, role=Role.LEARNER)
        enrolment = enrol(catalogue, centre=centre, learner=person, tutor=tutor, by=centre_admin)
        rng = random.Random(seed)
        for _ in range(STEPS):
            _act(rng, enrolment=enrolment, learner=person, tutor=tutor, iqa=iqa, units=units)
        flags = _assert_agreement(enrolment, centre_admin, units)
        covered |= {name for name, present in flags.items() if present}
    # The histories reached every state at least once, so the agreement above means something.
    assert covered == {
        "met",
        "not yet met",
        "locked",
        "reopened criterion",
        "referred sign-off",
        "correction in draft",
        "submitted correction",
    }
