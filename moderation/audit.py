"""The tamper-evident audit trail: writing entries and checking the chain.

Every entry carries a SHA-256 over a canonical JSON of its fields, the previous entry's hash
included, so changing, inserting or removing an entry breaks the chain from that point on.
Writers take turns under a row lock on `AuditHead` (SELECT … FOR UPDATE), so two transactions
cannot both append after the same entry; the unique `seq` would refuse a fork anyway.

The hash is not keyed: someone with write access to the database who recomputes every later
hash and the head can rewrite history without `verify_audit` noticing. Copying the head's hash
somewhere else from time to time (it is printed by `verify_audit`) closes that gap.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from moderation.enums import AuditAction
from moderation.models import GENESIS_HASH, AuditEntry, AuditHead


def _plain(data: dict | None) -> dict:
    """The data as the database will give it back (dates as text), so the hash survives."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def hashed_fields(entry: AuditEntry) -> dict:
    return {
        "seq": entry.seq,
        "created_at": entry.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "centre_id": entry.centre_id,
        "enrolment_id": entry.enrolment_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "summary": entry.summary,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
    }


def canonical_json(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json(hashed_fields(entry))).hexdigest()


def _locked_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    # The first entry ever (or a test database emptied between tests). Start from whatever
    # the chain holds; of two writers starting at once, one waits on the primary key.
    last = AuditEntry.objects.order_by("-seq").first()
    try:
        with transaction.atomic():
            AuditHead.objects.create(
                pk=1,
                last_seq=last.seq if last else 0,
                last_hash=last.hash if last else GENESIS_HASH,
            )
    except IntegrityError:
        pass
    return AuditHead.objects.select_for_update().get(pk=1)


def audit_record(
    *,
    action: AuditAction,
    actor,
    summary: str,
    obj=None,
    centre=None,
    enrolment=None,
    data: dict | None = None,
) -> AuditEntry:
    """Append an entry. Call it inside the transaction of the write it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit entries are written in the same transaction as the change.")
    if enrolment is not None and centre is None:
        centre = enrolment.centre
    head = _locked_head()
    entry = AuditEntry(
        seq=head.last_seq + 1,
        created_at=timezone.now(),
        actor=actor,
        actor_name=str(actor) if actor is not None else "system",
        centre=centre,
        enrolment=enrolment,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        summary=summary,
        data=_plain(data),
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    entry.full_clean()
    entry.save()
    head.last_seq, head.last_hash = entry.seq, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    # The first entry found wrong (its seq), and what is wrong with it.
    seq: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Walk the chain in order and stop at the first entry that was changed, inserted or
    removed. Reads in batches, so a long chain never sits in memory at once."""
    head = AuditHead.objects.filter(pk=1).first()
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    previous = None
    checked = 0

    def broken(seq, problem):
        return ChainReport(False, checked, head_hash, seq, problem)

    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        expected_seq = previous.seq + 1 if previous else 1
        if entry_hash(entry) != entry.hash:
            return broken(
                entry.seq,
                f"Entry #{entry.seq} was changed: its content no longer matches its hash.",
            )
        if entry.seq != expected_seq:
            gap = (
                f"#{expected_seq}"
                if entry.seq - expected_seq == 1
                else f"#{expected_seq} to #{entry.seq - 1}"
            )
            return broken(
                expected_seq,
                f"Entry {gap} was removed: the chain jumps from "
                f"#{expected_seq - 1} to #{entry.seq}.",
            )
        expected_prev = previous.hash if previous else GENESIS_HASH
        if entry.prev_hash != expected_prev:
            if previous is None:
                return broken(
                    entry.seq, f"Entry #{entry.seq} was inserted: it does not start the chain."
                )
            return broken(
                previous.seq,
                f"Entry #{previous.seq} was inserted or replaced: "
                f"#{entry.seq} was written after a different entry.",
            )
        previous = entry
        checked += 1

    last_seq = previous.seq if previous else 0
    if last_seq < head_seq:
        return broken(
            last_seq + 1,
            f"Entry #{last_seq + 1} was removed: the chain should run "
            f"to #{head_seq} but ends at #{last_seq}.",
        )
    if last_seq > head_seq:
        return broken(
            head_seq + 1,
            f"Entry #{head_seq + 1} was inserted: the chain ended at "
            f"#{head_seq} when it was last written.",
        )
    if previous is not None and previous.hash != head_hash:
        return broken(
            last_seq,
            f"Entry #{last_seq} was inserted or replaced: it is not the "
            "last entry that was written.",
        )
    return ChainReport(True, checked, head_hash)
