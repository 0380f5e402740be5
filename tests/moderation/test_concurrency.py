"""Two people deciding the same criterion at the same moment, on two real connections.

Needs PostgreSQL (SQLite has no row locks): CI runs the suite with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/… as well.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from moderation import services
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision
from tests.moderation.conftest import criteria

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Row locks need PostgreSQL; set DATABASE_URL=postgres://… to run this.",
    ),
]


def _decide(enrolment, tutor, criterion, outcome):
    return services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=timezone.localdate(),
        requests=[
            services.DecisionRequest(
                criterion_id=criterion.pk,
                outcome=outcome,
                feedback="Needs a second example."
                if outcome == DecisionOutcome.NOT_YET_MET
                else "",
                seen_id=None,  # both opened the form before anyone had decided
            )
        ],
    )


def _run(target, results, key, *args):
    try:
        results[key] = target(*args)
    except Exception as exc:  # noqa: BLE001 (the test inspects whatever happened)
        results[key] = exc
    finally:
        connections.close_all()  # this thread's own connection


def test_two_tutors_at_once_one_wins_the_other_is_told(enrolment, evidence, tutor, catalogue):
    criterion = criteria(catalogue.unit_a)[0]
    barrier = threading.Barrier(2)
    results = {}

    def attempt(outcome):
        barrier.wait()
        return _decide(enrolment, tutor, criterion, outcome)

    threads = [
        threading.Thread(target=_run, args=(attempt, results, outcome, outcome))
        for outcome in (DecisionOutcome.MET, DecisionOutcome.NOT_YET_MET)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    won = [k for k, v in results.items() if isinstance(v, list)]
    lost = [v for v in results.values() if isinstance(v, services.StaleDecision)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "while you were looking; review and decide again" in lost[0].messages[0]
    (decision,) = CriterionDecision.objects.filter(criterion=criterion)
    assert decision.outcome == won[0]
    assert AuditEntry.objects.filter(action=AuditAction.DECISION).count() == 1
    assert verify_chain().ok


def test_second_tutor_waits_for_the_lock_then_is_told(enrolment, evidence, tutor, catalogue):
    """A decides and holds its transaction open; B, deciding meanwhile, must wait for A's
    commit (the enrolment row is locked) and then sees A's decision instead of overwriting it."""
    criterion = criteria(catalogue.unit_a)[0]
    a_holds_lock = threading.Event()
    results, timings = {}, {}

    def first():
        with transaction.atomic():
            made = _decide(enrolment, tutor, criterion, DecisionOutcome.MET)
            a_holds_lock.set()
            time.sleep(0.5)
            timings["a_commit"] = time.monotonic()
        return made

    def second():
        a_holds_lock.wait(timeout=10)
        started = time.monotonic()
        try:
            return _decide(enrolment, tutor, criterion, DecisionOutcome.NOT_YET_MET)
        finally:
            timings["b_started"], timings["b_done"] = started, time.monotonic()

    threads = [
        threading.Thread(target=_run, args=(first, results, "a")),
        threading.Thread(target=_run, args=(second, results, "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert isinstance(results["a"], list), results
    assert isinstance(results["b"], services.StaleDecision), results
    assert timings["b_done"] >= timings["a_commit"] > timings["b_started"]
    assert list(
        CriterionDecision.objects.filter(criterion=criterion).values_list("outcome", flat=True)
    ) == ["met"]


def test_audit_writers_never_fork_the_chain(enrolment, evidence, tutor, catalogue):
    """Decisions on different criteria run in parallel; the chain stays one line."""
    barrier = threading.Barrier(4)
    results = {}

    def attempt(criterion):
        barrier.wait()
        return _decide(enrolment, tutor, criterion, DecisionOutcome.MET)

    threads = [
        threading.Thread(target=_run, args=(attempt, results, c.pk, c))
        for c in criteria(catalogue.unit_a)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(v, list) for v in results.values()), results
    # #1 to #8: the people's roles, the enrolment and its two units, the evidence added and
    # submitted; then the four decisions, one after another.
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 13)
    )
    assert verify_chain().ok
