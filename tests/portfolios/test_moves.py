"""Moving learners between versions of a qualification (portfolios.moves)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.enums import Role
from audit.chain import audit_record, audit_records, verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from moderation.enums import ModeratorKind, SampleOutcome
from portfolios import moves
from portfolios import services as portfolio_services
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    EnrolmentUnit,
    EvidenceCriterion,
    MovedCriterion,
    VersionMove,
)
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    Qualification,
    QualificationUnit,
    UnitGroup,
)
from qualifications.versions import copy_qualification, copy_unit
from tests.factories import MembershipFactory, UserFactory
from tests.moderation.conftest import add_evidence, criteria, decide, moderate, sign
from tests.portfolios.helpers import make_unit


def build_versions():
    """Version 1: unit A (1.1, 1.2, 2.1, 2.2) and unit B (1.1, 1.2). Version 2: A's 1.2
    reworded, 2.1 removed, 2.2 renumbered 2.1 and a new 2.2 added; B unchanged."""
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    v1 = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(qualification=v1, name="Mandatory units", is_mandatory=True)
    unit_a = make_unit("A/100/0001", "Deliver customer service", outcomes=2, criteria=2)
    unit_b = make_unit("A/100/0002", "Communicate with customers", outcomes=1, criteria=2)
    for position, unit in enumerate([unit_a, unit_b]):
        QualificationUnit.objects.create(
            qualification=v1, unit=unit, group=group, position=position
        )
    a2, b2 = copy_unit(unit_a), copy_unit(unit_b)
    AssessmentCriterion.objects.filter(unit=a2, number="1.2").update(text="Explain it anew")
    AssessmentCriterion.objects.filter(unit=a2, number="2.1").delete()
    renumbered = AssessmentCriterion.objects.get(unit=a2, number="2.2")
    renumbered.number = "2.1"
    renumbered.save()
    AssessmentCriterion.objects.create(
        outcome=renumbered.outcome, number="2.2", text="Describe a new point"
    )
    v2 = copy_qualification(v1, swap={unit_a.pk: a2, unit_b.pk: b2})
    return v1, v2, unit_a, unit_b, a2, b2


@pytest.fixture
def versions(db):
    return build_versions()


def _enrol(v1, units, *, centre, learner, tutor, by):
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=v1,
        units=units,
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=by,
    )


def assessed(versions, *, centre, learner, tutor, by):
    """A learner with one item covering all of unit A and B 1.1, every one of them met."""
    v1, _v2, unit_a, unit_b, *_ = versions
    enrolment = _enrol(v1, [unit_a, unit_b], centre=centre, learner=learner, tutor=tutor, by=by)
    item = add_evidence(enrolment, learner, criteria_list=criteria(unit_a) + criteria(unit_b)[:1])
    decide(enrolment, tutor, criteria(unit_a) + criteria(unit_b)[:1], evidence=item)
    return enrolment, item


@pytest.fixture
def alice_assessed(versions, centre, learner, tutor, centre_admin):
    return assessed(versions, centre=centre, learner=learner, tutor=tutor, by=centre_admin)


def _rows(model):
    return list(model.objects.order_by("pk").values())


def test_move_carries_unchanged_text_and_flags_the_rest(
    versions, alice_assessed, centre_admin, tutor
):
    v1, v2, unit_a, unit_b, a2, b2 = versions
    enrolment, item = alice_assessed
    old_decisions = _rows(CriterionDecision)
    old_links = _rows(EvidenceCriterion)
    old_criteria = list(AssessmentCriterion.objects.filter(unit__in=[unit_a, unit_b]).values())

    result = moves.move_enrolments([enrolment], to_qualification=v2, by=centre_admin)

    assert (result.moved, result.carried, result.flagged, result.units_kept) == (1, 3, 2, 0)
    enrolment.refresh_from_db()
    assert enrolment.qualification == v2
    assert set(
        EnrolmentUnit.objects.filter(enrolment=enrolment).values_list("unit", flat=True)
    ) == {
        a2.pk,
        b2.pk,
    }
    carried = CriterionDecision.objects.filter(carried_from__isnull=False).select_related(
        "criterion", "carried_from__criterion"
    )
    assert sorted(
        (d.criterion.unit_id, d.carried_from.criterion.number, d.criterion.number, d.outcome)
        for d in carried
    ) == sorted(
        [(a2.pk, "1.1", "1.1", "met"), (a2.pk, "2.2", "2.1", "met"), (b2.pk, "1.1", "1.1", "met")]
    )
    for d in carried:
        assert (d.decided_on, d.feedback, d.decided_by_id, d.unit_id) == (
            d.carried_from.decided_on,
            d.carried_from.feedback,
            d.carried_from.decided_by_id,
            d.criterion.unit_id,
        )
        assert list(
            DecisionEvidence.objects.filter(decision=d).values_list("evidence", flat=True)
        ) == [item.pk]
    # The item is now mapped to the new criteria whose words it was judged against as well.
    assert sorted(
        EvidenceCriterion.objects.filter(evidence=item, criterion__unit__in=[a2, b2]).values_list(
            "criterion__unit__code", "criterion__number"
        )
    ) == [("A/100/0001", "1.1"), ("A/100/0001", "2.1"), ("A/100/0002", "1.1")]
    # Flags: 1.2 reworded (decide again), 2.1 removed.
    flags = MovedCriterion.objects.order_by("pk")
    assert sorted((f.kind, f.old_criterion.number, f.is_flag) for f in flags) == [
        ("removed", "2.1", True),
        ("renumbered", "2.2", False),
        ("reworded", "1.2", True),
        ("unchanged", "1.1", False),
        ("unchanged", "1.1", False),
    ]
    # The old version's rows are exactly as they were.
    assert _rows(CriterionDecision)[: len(old_decisions)] == old_decisions
    assert [r for r in _rows(EvidenceCriterion) if r["id"] in {o["id"] for o in old_links}] == (
        old_links
    )
    assert (
        list(AssessmentCriterion.objects.filter(unit__in=[unit_a, unit_b]).values()) == old_criteria
    )
    move = VersionMove.objects.get()
    assert (move.from_qualification, move.to_qualification, move.moved_by) == (
        v1,
        v2,
        centre_admin,
    )
    assert (move.carried, move.flagged) == (3, 2)


def test_flag_for_the_tutor_until_decided(versions, alice_assessed, centre_admin, tutor):
    _v1, v2, _a, _b, a2, _b2 = versions
    enrolment, item = alice_assessed
    moves.move_enrolments([enrolment], to_qualification=v2, by=centre_admin)
    flags = moves.open_flags(enrolment)
    today = datetime.date.today()
    assert [f.text for f in flags] == [
        f"Criterion 1.2 was reworded in version 2; the earlier decision (Met, {today.day} "
        f"{today:%B %Y}) was not carried: decide again"
    ]
    # The tutor maps the item and decides the reworded criterion: the flag is gone.
    new_12 = AssessmentCriterion.objects.get(unit=a2, number="1.2")
    from moderation import services as moderation_services

    moderation_services.evidence_add_criteria(evidence=item, by=tutor, criteria=[new_12])
    decide(enrolment, tutor, [new_12], evidence=item)
    assert moves.open_flags(enrolment) == []


def test_move_is_audited_and_the_chain_verifies(versions, alice_assessed, centre_admin):
    enrolment, _item = alice_assessed
    before = AuditEntry.objects.count()
    moves.move_enrolments([enrolment], to_qualification=versions[1], by=centre_admin)
    new = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    # The move, the enrolment, 2 units, 3 carried decisions, 5 criteria of the move.
    assert len(new) == 1 + 1 + 2 + 3 + 5
    assert {e.action for e in new} == {
        AuditAction.VERSION_MOVED,
        AuditAction.ENROLMENT_CHANGED,
        AuditAction.CRITERION_MOVED,
        AuditAction.UNIT_VERSION_MOVED,
        AuditAction.DECISION_CARRIED,
        AuditAction.CRITERION_FLAGGED,
    }
    assert all(e.enrolment_id == enrolment.pk and e.actor == centre_admin for e in new)
    report = verify_chain()
    assert report.ok, report.findings


def test_signed_unit_stays_on_its_version(versions, centre, learner, tutor, centre_admin):
    v1, v2, unit_a, unit_b, a2, _b2 = versions
    enrolment = _enrol(
        v1, [unit_a, unit_b], centre=centre, learner=learner, tutor=tutor, by=centre_admin
    )
    item = add_evidence(enrolment, learner, criteria_list=criteria(unit_b))
    decide(enrolment, tutor, criteria(unit_b), evidence=item)
    sign(enrolment, unit_b, tutor)

    plan = moves.plan_moves([enrolment], v2)
    assert [(u.old.pk, u.status) for u in plan.enrolments[0].units] == [
        (unit_a.pk, moves.MOVES),
        (unit_b.pk, moves.SIGNED),
    ]
    result = moves.move_enrolments([enrolment], to_qualification=v2, by=centre_admin)
    assert (result.carried, result.flagged, result.units_kept) == (0, 0, 1)
    assert sorted(
        EnrolmentUnit.objects.filter(enrolment=enrolment).values_list("unit", flat=True)
    ) == sorted([a2.pk, unit_b.pk])
    assert VersionMove.objects.get().summary["units_kept"] == [
        {"unit": "A/100/0002 v1", "reason": "signed"}
    ]


def test_reopened_decision_is_flagged_not_carried(
    versions, alice_assessed, centre_admin, tutor, internal_moderator
):
    _v1, v2, unit_a, *_ = versions
    enrolment, _item = alice_assessed
    sign(enrolment, unit_a, tutor)
    moderate(
        enrolment,
        unit_a,
        internal_moderator,
        SampleOutcome.REFERRED,
        kind=ModeratorKind.INTERNAL,
        reopen_criteria=criteria(unit_a)[:1],
    )
    result = moves.move_enrolments([enrolment], to_qualification=v2, by=centre_admin)
    # 1.1 reopened: flagged; 2.2 → 2.1 and B 1.1 carried; 1.2 reworded and 2.1 removed flagged.
    assert (result.carried, result.flagged) == (2, 3)
    assert [f.number for f in moves.open_flags(enrolment)] == ["1.1", "1.2"]


def test_refuses_a_version_of_another_qualification(versions, alice_assessed, centre_admin):
    enrolment, _item = alice_assessed
    other = Qualification.objects.create(
        number="600/9999/9", title="Other", awarding_body=versions[0].awarding_body, level=2
    )
    before = _rows(CriterionDecision)
    with pytest.raises(ValidationError, match="is not a version of 600/0001/1"):
        moves.move_enrolments([enrolment], to_qualification=other, by=centre_admin)
    assert _rows(CriterionDecision) == before
    assert not VersionMove.objects.exists()


def test_refuses_someone_not_admin_of_the_centre(versions, alice_assessed, tutor, outsider):
    enrolment, _item = alice_assessed
    for person in (tutor, outsider):
        with pytest.raises(ValidationError, match="Only the centre's admins"):
            moves.move_enrolments([enrolment], to_qualification=versions[1], by=person)
    enrolment.refresh_from_db()
    assert enrolment.qualification == versions[0]
    assert not VersionMove.objects.exists()


def test_refuses_an_invisible_version(versions, alice_assessed, centre_admin, other_centre):
    _v1, v2, *_ = versions
    enrolment, _item = alice_assessed
    Qualification.objects.filter(pk=v2.pk).update(centre=other_centre)
    v2.refresh_from_db()
    with pytest.raises(ValidationError, match="not one you can use"):
        moves.move_enrolments([enrolment], to_qualification=v2, by=centre_admin)
    assert not VersionMove.objects.exists()


def _learners(centre, count, start):
    people = []
    for n in range(start, start + count):
        user = UserFactory(username=f"learner{n}", first_name="L", last_name=f"Learner{n}")
        MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
        people.append(user)
    return people


def _move_queries(versions, centre, tutor, admin, count, start):
    enrolments = [
        assessed(versions, centre=centre, learner=person, tutor=tutor, by=admin)[0]
        for person in _learners(centre, count, start)
    ]
    admin = type(admin).objects.get(pk=admin.pk)  # no cached memberships
    with CaptureQueriesContext(connection) as captured:
        result = moves.move_enrolments(enrolments, to_qualification=versions[1], by=admin)
    assert (result.moved, result.carried, result.flagged) == (count, 3 * count, 2 * count)
    return len(captured)


def test_query_count_does_not_grow_with_enrolments(versions, centre, tutor, centre_admin):
    three = _move_queries(versions, centre, tutor, centre_admin, 3, 0)
    thirty = _move_queries(versions, centre, tutor, centre_admin, 30, 100)
    assert three == thirty == 22
    assert verify_chain().ok


# ---------------------------------------------------------------- the bulk audit writer


def test_bulk_writer_gives_the_chain_one_by_one_writing_gives(db, centre, centre_admin):
    start = AuditEntry.objects.count()
    with transaction.atomic():
        audit_record(
            action=AuditAction.PERSON_CHANGED, actor=centre_admin, summary="one", centre=centre
        )
        entries = audit_records(
            [
                {
                    "action": AuditAction.PERSON_CHANGED,
                    "actor": centre_admin,
                    "summary": f"bulk {n}",
                    "centre": centre,
                    "data": {"n": n, "on": datetime.date(2026, 3, 3)},
                }
                for n in range(5)
            ]
        )
        audit_record(
            action=AuditAction.PERSON_CHANGED, actor=centre_admin, summary="after", centre=centre
        )
    assert [e.seq for e in entries] == [start + n for n in (2, 3, 4, 5, 6)]
    assert list(
        AuditEntry.objects.filter(seq__gt=start).order_by("seq").values_list("summary", flat=True)
    ) == [
        "one",
        *[f"bulk {n}" for n in range(5)],
        "after",
    ]
    report = verify_chain()
    assert report.ok and report.checked == start + 7


def test_bulk_writer_with_a_key(db, settings, centre_admin):
    settings.AUDIT_KEY = "k" * 40
    with transaction.atomic():
        entries = audit_records(
            [{"action": AuditAction.PERSON_CHANGED, "actor": centre_admin, "summary": "x"}] * 3
        )
    assert [e.keyed for e in entries] == [True, True, True]
    assert verify_chain().ok


def test_decisions_written_before_carried_from_keep_their_digest(db):
    """`carried_from` is digested only when set, so a decision's entry written before the
    field existed still matches the row."""
    from audit.digest import digest_values, row_digest

    decision = CriterionDecision(
        enrolment_id=1,
        criterion_id=2,
        unit_id=3,
        outcome="met",
        decided_on=datetime.date(2026, 3, 3),
        feedback="",
        decided_by_id=4,
        decided_at=datetime.datetime(2026, 3, 3, 10, tzinfo=datetime.UTC),
    )
    before_the_field = {
        name: getattr(decision, name)
        for name in (
            "enrolment_id",
            "criterion_id",
            "unit_id",
            "outcome",
            "decided_on",
            "feedback",
            "decided_by_id",
            "decided_at",
            "supersedes_id",
        )
    }
    assert row_digest(decision) == digest_values("portfolios.criteriondecision", before_the_field)
    decision.carried_from_id = 9
    assert row_digest(decision) != digest_values("portfolios.criteriondecision", before_the_field)


def test_short_course_moves_to_a_version_of_its_unit(
    versions, centre, learner, tutor, centre_admin
):
    _v1, _v2, unit_a, _unit_b, a2, b2 = versions
    enrolment = portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[unit_a],
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=centre_admin,
    )
    item = add_evidence(enrolment, learner, criteria_list=criteria(unit_a))
    decide(enrolment, tutor, criteria(unit_a), evidence=item)
    with pytest.raises(ValidationError, match="is not a version of the unit"):
        moves.move_enrolments([enrolment], to_unit=b2, by=centre_admin)
    result = moves.move_enrolments([enrolment], to_unit=a2, by=centre_admin)
    assert (result.moved, result.carried, result.flagged) == (1, 2, 2)
    assert list(
        EnrolmentUnit.objects.filter(enrolment=enrolment).values_list("unit", flat=True)
    ) == [a2.pk]
    move = VersionMove.objects.get()
    assert (move.from_qualification, move.to_qualification) == (None, None)
    assert (move.summary["from_version"], move.summary["to_version"]) == (1, 2)
    assert verify_chain().ok


def test_moving_back_finds_the_earlier_decisions_standing(versions, alice_assessed, centre_admin):
    v1, v2, *_ = versions
    enrolment, _item = alice_assessed
    moves.move_enrolments([enrolment], to_qualification=v2, by=centre_admin)
    decisions = CriterionDecision.objects.count()
    result = moves.move_enrolments([enrolment], to_qualification=v1, by=centre_admin)
    # Version 1's decisions are still there, still the latest: nothing to carry or flag.
    assert (result.carried, result.flagged) == (0, 0)
    assert CriterionDecision.objects.count() == decisions
    assert [f.number for f in moves.open_flags(enrolment)] == []
    assert verify_chain().ok
