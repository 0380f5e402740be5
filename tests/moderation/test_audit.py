import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.chain import audit_record, entry_hash, verify_chain
from audit.enums import AuditAction
from audit.models import GENESIS_HASH, AuditEntry, AuditHead
from tests.moderation.conftest import criteria, decide


@pytest.fixture
def chain(enrolment, evidence, tutor, catalogue):
    """The people's roles (#1 to #3), the enrolment's creation and units (#4 to #6), the
    evidence added and submitted (#7, #8), then four decisions: #9 to #12."""
    assert AuditEntry.objects.count() == 8
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, 13))
    return entries


def raw(sql, params=()):
    """What someone with database access would do: straight SQL, past the models' refusal."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=AuditEntry._meta.db_table), params)


def test_entries_are_chained(chain):
    assert chain[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    for entry in chain:
        assert entry.hash == entry_hash(entry)
    head = AuditHead.objects.get()
    assert (head.last_seq, head.last_hash) == (12, chain[-1].hash)
    report = verify_chain()
    assert report.ok and report.checked == 12


def test_verify_audit_command_reports_intact_chain(chain, capsys):
    call_command("verify_audit")
    assert (
        f"Audit trail intact: 12 entries; head #12 hash {chain[-1].hash}" in capsys.readouterr().out
    )


def test_edited_entry_is_named(chain):
    raw("UPDATE {table} SET summary = %s WHERE seq = 8", ["1.2: Not yet met"])
    report = verify_chain()
    assert not report.ok
    assert report.seq == 8
    assert "Entry #8 was changed" in report.problem
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert caught.value.returncode == 1
    assert "broken at entry #8" in str(caught.value)


def test_edited_data_is_named(chain):
    raw("UPDATE {table} SET data = %s WHERE seq = 9", ['{"outcome": "not_yet_met"}'])
    assert verify_chain().seq == 9


def test_deleted_entry_is_named(chain):
    raw("DELETE FROM {table} WHERE seq = 8")
    report = verify_chain()
    assert report.seq == 8
    assert "Entry #8 was removed" in report.problem


def test_deleted_last_entry_is_named(chain):
    raw("DELETE FROM {table} WHERE seq = 12")
    report = verify_chain()
    assert report.seq == 12
    assert "Entry #12 was removed" in report.problem


def test_inserted_entry_is_named_even_with_a_good_hash(chain, tutor):
    forged = AuditEntry(
        seq=13,
        created_at=chain[-1].created_at,
        actor=tutor,
        actor_name=str(tutor),
        action=AuditAction.DECISION,
        object_type="moderation.criteriondecision",
        object_id=999,
        summary="Forged: 2.2 Met",
        data={},
        prev_hash=chain[-1].hash,
    )
    forged.hash = entry_hash(forged)
    forged.save()  # a new row: allowed by the model; the chain head was not moved
    report = verify_chain()
    assert report.seq == 13
    assert "Entry #13 was inserted" in report.problem


def test_replaced_entry_is_named(chain):
    """Delete #8 and put a well-formed forgery in its place: #9 no longer links to it."""
    original = chain[7]
    raw("DELETE FROM {table} WHERE seq = 8")
    forged = AuditEntry(
        seq=8,
        created_at=original.created_at,
        actor_id=original.actor_id,
        actor_name=original.actor_name,
        action=original.action,
        object_type=original.object_type,
        object_id=original.object_id,
        summary="Forged",
        data={},
        prev_hash=chain[6].hash,
    )
    forged.hash = entry_hash(forged)
    forged.save()
    report = verify_chain()
    assert report.seq == 8
    assert "Entry #8 was replaced" in report.problem


@pytest.mark.django_db(transaction=True)
def test_audit_entries_are_only_written_inside_the_change(tutor):
    with pytest.raises(RuntimeError):
        audit_record(action=AuditAction.DECISION, actor=tutor, summary="outside")


@pytest.mark.django_db(transaction=True)
def test_a_failed_change_leaves_no_entry(tutor):
    entries = AuditEntry.objects.count()  # the tutor's role
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(action=AuditAction.DECISION, actor=tutor, summary="rolled back")
        1 / 0  # noqa: B018 (the change fails after its entry was written)
    assert AuditEntry.objects.count() == entries == 1
    assert verify_chain().ok


def test_empty_chain_is_intact(db):
    report = verify_chain()
    assert report.ok and report.checked == 0


# ---------------------------------------------------------------- the rows the trail records


def _table(model):
    return model._meta.db_table


def test_decision_row_edited_in_the_database_is_named(chain):
    from portfolios.models import CriterionDecision

    decision = CriterionDecision.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(CriterionDecision)} SET outcome = %s, feedback = %s WHERE id = %s",  # noqa: S608 (a table name of ours)
            ["not_yet_met", "Quietly changed.", decision.pk],
        )
    report = verify_chain()
    assert not report.ok
    assert report.problem == (
        f"criterion decision {decision.pk} was changed outside the product: it no longer "
        f"matches entry #9."
    )
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert f"criterion decision {decision.pk} was changed" in str(caught.value)


def test_sign_off_row_edited_in_the_database_is_named(enrolment, evidence, tutor, catalogue):
    from portfolios.models import UnitSignOff
    from tests.moderation.conftest import sign

    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    sign_off = sign(enrolment, catalogue.unit_a, tutor)
    assert verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(UnitSignOff)} SET comments = %s WHERE id = %s",  # noqa: S608 (a table name of ours)
            ["Rewritten comments.", sign_off.pk],
        )
    report = verify_chain()
    assert [f.problem for f in report.findings] == [
        f"unit sign-off {sign_off.pk} was changed outside the product: it no longer matches "
        "entry #13."
    ]


def test_wiped_trail_is_caught(chain, enrolment):
    from portfolios.models import CriterionDecision

    raw("DELETE FROM {table}")
    AuditHead.objects.all().delete()
    report = verify_chain()
    assert not report.ok
    ids = sorted(CriterionDecision.objects.values_list("pk", flat=True))
    missing = [f.problem for f in report.findings]
    assert [p for p in missing if p.startswith("criterion decision")] == [
        f"criterion decision {pk} has no entry in the audit trail." for pk in ids
    ]
    assert f"enrolment {enrolment.pk} has no entry in the audit trail." in missing


def test_entry_inserted_mid_chain_is_named_as_an_insert(chain, tutor):
    """Renumber #9 and #10 to #10 and #11 and slip a well-formed entry in at #9."""
    raw("UPDATE {table} SET seq = seq + 10 WHERE seq >= 9")
    raw("UPDATE {table} SET seq = seq - 9 WHERE seq >= 19")
    forged = AuditEntry(
        seq=9,
        created_at=chain[7].created_at,
        actor=tutor,
        actor_name=str(tutor),
        action=AuditAction.DECISION,
        summary="Inserted",
        data={},
        prev_hash=chain[7].hash,
    )
    forged.hash = entry_hash(forged)
    forged.save()
    report = verify_chain()
    assert report.seq == 9
    assert report.problem == "Entry #9 was inserted: #10 was written straight after #8."


def test_keyed_chain_cannot_be_recomputed_without_the_key(enrolment, evidence, tutor, catalogue):
    from django.test import override_settings

    with override_settings(AUDIT_KEY="centre-secret"):
        decide(enrolment, tutor, criteria(catalogue.unit_a)[:1], evidence=evidence)
        entry = AuditEntry.objects.get(action=AuditAction.DECISION)
        assert entry.seq == 9 and entry.keyed
        assert verify_chain().ok
        # Someone with the database but not the key rewrites the entry and its plain hash.
        entry.summary = "Rewritten"
        forged_hash = entry_hash(entry, key=b"a guess")
        raw("UPDATE {table} SET summary = %s, hash = %s WHERE seq = 9", ["Rewritten", forged_hash])
        raw("UPDATE audit_audithead SET last_hash = %s", [forged_hash])
        assert verify_chain().problem == (
            "Entry #9 was changed: its content no longer matches its hash."
        )
    assert verify_chain().problem == "Entry #9 is keyed: set AUDIT_KEY to check the chain."


def test_unit_removed_in_the_database_is_named(chain, catalogue):
    from portfolios.models import EnrolmentUnit

    link = EnrolmentUnit.objects.get(unit=catalogue.unit_b)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(EnrolmentUnit)} WHERE id = %s",  # noqa: S608 (a table name of ours)
            [link.pk],
        )
    report = verify_chain()
    assert not report.ok
    assert [f.problem for f in report.findings] == [
        f"enrolment unit {link.pk} was removed without an entry (last: #{report.seq})."
    ]
    assert report.seq == AuditEntry.objects.get(object_id=link.pk, action="unit_added").seq


def test_grant_stretched_in_the_database_is_named(enrolment, centre, centre_admin):
    import datetime

    from django.utils import timezone

    from moderation import services
    from portfolios.models import EqaGrant
    from tests.factories import MembershipFactory, UserFactory

    eqa = UserFactory(username="erin")
    MembershipFactory(user=eqa, centre=centre, role="eqa")
    now = timezone.now()
    grant = services.grant_create(
        centre=centre,
        by=centre_admin,
        moderator=eqa,
        starts_at=now,
        ends_at=now + datetime.timedelta(days=7),
        enrolments=[enrolment],
        units=[],
    )
    assert verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(EqaGrant)} SET ends_at = %s WHERE id = %s",  # noqa: S608 (a table name of ours)
            [now + datetime.timedelta(days=365), grant.pk],
        )
    entry = AuditEntry.objects.get(action=AuditAction.GRANT)
    assert [f.problem for f in verify_chain().findings] == [
        f"external moderator's access {grant.pk} was changed outside the product: it no "
        f"longer matches entry #{entry.seq}."
    ]
