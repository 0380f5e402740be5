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
    """The enrolment's entries (its creation and units: #1 to #3), then four decisions: four
    entries, #4 to #7."""
    assert AuditEntry.objects.count() == 3
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6, 7]
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
    assert (head.last_seq, head.last_hash) == (7, chain[-1].hash)
    report = verify_chain()
    assert report.ok and report.checked == 7


def test_verify_audit_command_reports_intact_chain(chain, capsys):
    call_command("verify_audit")
    assert (
        f"Audit trail intact: 7 entries; head #7 hash {chain[-1].hash}" in capsys.readouterr().out
    )


def test_edited_entry_is_named(chain):
    raw("UPDATE {table} SET summary = %s WHERE seq = 5", ["1.2: Not yet met"])
    report = verify_chain()
    assert not report.ok
    assert report.seq == 5
    assert "Entry #5 was changed" in report.problem
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert caught.value.returncode == 1
    assert "broken at entry #5" in str(caught.value)


def test_edited_data_is_named(chain):
    raw("UPDATE {table} SET data = %s WHERE seq = 6", ['{"outcome": "not_yet_met"}'])
    assert verify_chain().seq == 6


def test_deleted_entry_is_named(chain):
    raw("DELETE FROM {table} WHERE seq = 5")
    report = verify_chain()
    assert report.seq == 5
    assert "Entry #5 was removed" in report.problem


def test_deleted_last_entry_is_named(chain):
    raw("DELETE FROM {table} WHERE seq = 7")
    report = verify_chain()
    assert report.seq == 7
    assert "Entry #7 was removed" in report.problem


def test_inserted_entry_is_named_even_with_a_good_hash(chain, tutor):
    forged = AuditEntry(
        seq=8,
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
    assert report.seq == 8
    assert "Entry #8 was inserted" in report.problem


def test_replaced_entry_is_named(chain):
    """Delete #5 and put a well-formed forgery in its place: #6 no longer links to it."""
    original = chain[4]
    raw("DELETE FROM {table} WHERE seq = 5")
    forged = AuditEntry(
        seq=5,
        created_at=original.created_at,
        actor_id=original.actor_id,
        actor_name=original.actor_name,
        action=original.action,
        object_type=original.object_type,
        object_id=original.object_id,
        summary="Forged",
        data={},
        prev_hash=chain[3].hash,
    )
    forged.hash = entry_hash(forged)
    forged.save()
    report = verify_chain()
    assert report.seq == 5
    assert "Entry #5 was replaced" in report.problem


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
        f"matches entry #4."
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
        "entry #8."
    ]


def test_wiped_trail_is_caught(chain):
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
    assert f"enrolment {chain[0].object_id} has no entry in the audit trail." in missing


def test_entry_inserted_mid_chain_is_named_as_an_insert(chain, tutor):
    """Renumber #6 and #7 to #7 and #8 and slip a well-formed entry in at #6."""
    raw("UPDATE {table} SET seq = seq + 10 WHERE seq >= 6")
    raw("UPDATE {table} SET seq = seq - 9 WHERE seq >= 16")
    forged = AuditEntry(
        seq=6,
        created_at=chain[4].created_at,
        actor=tutor,
        actor_name=str(tutor),
        action=AuditAction.DECISION,
        summary="Inserted",
        data={},
        prev_hash=chain[4].hash,
    )
    forged.hash = entry_hash(forged)
    forged.save()
    report = verify_chain()
    assert report.seq == 6
    assert report.problem == "Entry #6 was inserted: #7 was written straight after #5."


def test_keyed_chain_cannot_be_recomputed_without_the_key(enrolment, evidence, tutor, catalogue):
    from django.test import override_settings

    with override_settings(AUDIT_KEY="centre-secret"):
        decide(enrolment, tutor, criteria(catalogue.unit_a)[:1], evidence=evidence)
        entry = AuditEntry.objects.get(action=AuditAction.DECISION)
        assert entry.seq == 4 and entry.keyed
        assert verify_chain().ok
        # Someone with the database but not the key rewrites the entry and its plain hash.
        entry.summary = "Rewritten"
        forged_hash = entry_hash(entry, key=b"a guess")
        raw("UPDATE {table} SET summary = %s, hash = %s WHERE seq = 4", ["Rewritten", forged_hash])
        raw("UPDATE audit_audithead SET last_hash = %s", [forged_hash])
        assert verify_chain().problem == (
            "Entry #4 was changed: its content no longer matches its hash."
        )
    assert verify_chain().problem == "Entry #4 is keyed: set AUDIT_KEY to check the chain."
