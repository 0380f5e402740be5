import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from moderation.audit import audit_record, entry_hash, verify_chain
from moderation.enums import AuditAction
from moderation.models import GENESIS_HASH, AuditEntry, AuditHead
from tests.moderation.conftest import criteria, decide


@pytest.fixture
def chain(enrolment, evidence, tutor, catalogue):
    """Four decisions: four entries, #1 to #4."""
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4]
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
    assert (head.last_seq, head.last_hash) == (4, chain[-1].hash)
    report = verify_chain()
    assert report.ok and report.checked == 4


def test_verify_audit_command_reports_intact_chain(chain, capsys):
    call_command("verify_audit")
    assert f"Audit trail intact: 4 entries; head hash {chain[-1].hash}" in capsys.readouterr().out


def test_edited_entry_is_named(chain):
    raw("UPDATE {table} SET summary = %s WHERE seq = 2", ["1.2: Not yet met"])
    report = verify_chain()
    assert not report.ok
    assert report.seq == 2
    assert "Entry #2 was changed" in report.problem
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert caught.value.returncode == 1
    assert "broken at entry #2" in str(caught.value)


def test_edited_data_is_named(chain):
    raw("UPDATE {table} SET data = %s WHERE seq = 3", ['{"outcome": "not_yet_met"}'])
    assert verify_chain().seq == 3


def test_deleted_entry_is_named(chain):
    raw("DELETE FROM {table} WHERE seq = 2")
    report = verify_chain()
    assert report.seq == 2
    assert "Entry #2 was removed" in report.problem


def test_deleted_last_entry_is_named(chain):
    raw("DELETE FROM {table} WHERE seq = 4")
    report = verify_chain()
    assert report.seq == 4
    assert "Entry #4 was removed" in report.problem


def test_inserted_entry_is_named_even_with_a_good_hash(chain, tutor):
    forged = AuditEntry(
        seq=5,
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
    assert report.seq == 5
    assert "Entry #5 was inserted" in report.problem


def test_replaced_entry_is_named(chain):
    """Delete #2 and put a well-formed forgery in its place: #3 no longer links to it."""
    original = chain[1]
    raw("DELETE FROM {table} WHERE seq = 2")
    forged = AuditEntry(
        seq=2,
        created_at=original.created_at,
        actor_id=original.actor_id,
        actor_name=original.actor_name,
        action=original.action,
        object_type=original.object_type,
        object_id=original.object_id,
        summary="Forged",
        data={},
        prev_hash=chain[0].hash,
    )
    forged.hash = entry_hash(forged)
    forged.save()
    report = verify_chain()
    assert report.seq == 2
    assert "Entry #2 was inserted or replaced" in report.problem


@pytest.mark.django_db(transaction=True)
def test_audit_entries_are_only_written_inside_the_change(tutor):
    with pytest.raises(RuntimeError):
        audit_record(action=AuditAction.DECISION, actor=tutor, summary="outside")


@pytest.mark.django_db(transaction=True)
def test_a_failed_change_leaves_no_entry(tutor):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(action=AuditAction.DECISION, actor=tutor, summary="rolled back")
        1 / 0  # noqa: B018 (the change fails after its entry was written)
    assert not AuditEntry.objects.exists()
    assert verify_chain().ok


def test_empty_chain_is_intact(db):
    report = verify_chain()
    assert report.ok and report.checked == 0
