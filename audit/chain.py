"""Writing entries to the chain and checking it, with the rows it records.

Every entry carries a hash over a canonical JSON of its fields: the previous entry's hash and
the digest of the row it records included. With `AUDIT_KEY` set the hash is an HMAC, so
someone who can write the database but does not hold the key cannot recompute the chain after
changing it; without a key a copy of the head kept elsewhere (it is printed in every EQA bundle
and export, and by `verify_audit`) does that job. Writers take turns under a row lock on
`AuditHead`, so two transactions cannot both append after the same entry.
"""

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.digest import digest_values, recorded_models, row_digest
from audit.enums import AuditAction
from audit.models import GENESIS_HASH, AuditEntry, AuditHead


def _key() -> bytes:
    return (getattr(settings, "AUDIT_KEY", "") or "").encode()


def _plain(data: dict | None) -> dict:
    """The data as the database will give it back (dates as text), so the hash survives."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def hashed_fields(entry: AuditEntry) -> dict:
    return {
        "created_at": entry.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "centre_id": entry.centre_id,
        "enrolment_id": entry.enrolment_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_digest": entry.object_digest,
        "summary": entry.summary,
        "data": entry.data,
        "keyed": entry.keyed,
        "prev_hash": entry.prev_hash,
    }


def canonical_json(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    body = canonical_json(hashed_fields(entry))
    if entry.keyed:
        return hmac.new(_key() if key is None else key, body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


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


def _entry(
    *,
    action: AuditAction,
    actor,
    summary: str,
    obj=None,
    centre=None,
    enrolment=None,
    data: dict | None = None,
    deleted: bool = False,
    created_at=None,
    keyed: bool = False,
) -> AuditEntry:
    """An entry not yet chained (no seq, prev_hash or hash)."""
    centre_id = getattr(centre, "pk", centre)
    if enrolment is not None and centre_id is None:
        centre_id = enrolment.centre_id
    return AuditEntry(
        created_at=created_at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=str(actor) if actor is not None else "system",
        centre_id=centre_id,
        enrolment_id=getattr(enrolment, "pk", enrolment),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        object_digest="" if obj is None or deleted else row_digest(obj),
        summary=summary,
        data=_plain({**(data or {}), **({"deleted": True} if deleted else {})}),
        keyed=keyed,
    )


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit entries are written in the same transaction as the change.")


def audit_record(
    *,
    action: AuditAction,
    actor,
    summary: str,
    obj=None,
    centre=None,
    enrolment=None,
    data: dict | None = None,
    deleted: bool = False,
) -> AuditEntry:
    """Append an entry about `obj` (digested as it now is) in the transaction of the change.

    `deleted`: the entry records the removal of `obj` (its digest is left empty).
    """
    _require_transaction()
    head = _locked_head()
    entry = _entry(
        action=action,
        actor=actor,
        summary=summary,
        obj=obj,
        centre=centre,
        enrolment=enrolment,
        data=data,
        deleted=deleted,
        keyed=bool(_key()),
    )
    entry.seq = head.last_seq + 1
    entry.prev_hash = head.last_hash
    entry.hash = entry_hash(entry)
    entry.full_clean()
    entry.save()
    head.last_seq, head.last_hash = entry.seq, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


def audit_records(items: Sequence[dict]) -> list[AuditEntry]:
    """Append many entries at once, in the order given: each item holds `audit_record`'s
    keyword arguments. The head is locked once, the chained hashes are computed here and the
    entries are written with one bulk insert, so a change to thousands of rows (a move between
    versions) costs the same few queries as one. The chain is exactly the one `audit_record`
    would have written, entry by entry."""
    _require_transaction()
    if not items:
        return []
    head = _locked_head()
    keyed, now = bool(_key()), timezone.now()
    seq, prev = head.last_seq, head.last_hash
    entries = []
    for item in items:
        entry = _entry(**item, created_at=now, keyed=keyed)
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(entry)
        entries.append(entry)
    AuditEntry.objects.bulk_create(entries)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return entries


def chain_head() -> tuple[int, str]:
    """(sequence, hash) of the last entry written: what exports print, to be kept elsewhere."""
    head = AuditHead.objects.filter(pk=1).first()
    return (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Finding:
    seq: int | None
    problem: str


@dataclass
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def seq(self) -> int | None:
        """The first entry found wrong."""
        return self.findings[0].seq if self.findings else None

    @property
    def problem(self) -> str:
        return self.findings[0].problem if self.findings else ""


def _walk(report: ChainReport, key: bytes) -> Iterator[AuditEntry]:
    """Yield the entries of an intact chain; stop at the first break and say what it is."""
    head_seq, head_hash = report.head_seq, report.head_hash
    before_previous_hash, previous = None, None
    seen_keyed = False

    def broken(seq, problem):
        report.findings.append(Finding(seq, problem))

    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.keyed and not key:
            return broken(
                entry.seq, f"Entry #{entry.seq} is keyed: set AUDIT_KEY to check the chain."
            )
        if seen_keyed and not entry.keyed:
            return broken(
                entry.seq,
                f"Entry #{entry.seq} was changed: it is not keyed, though the chain was "
                "keyed before it.",
            )
        seen_keyed = seen_keyed or entry.keyed
        if entry_hash(entry, key) != entry.hash:
            return broken(
                entry.seq,
                f"Entry #{entry.seq} was changed: its content no longer matches its hash.",
            )
        expected_seq = previous.seq + 1 if previous else 1
        if entry.seq != expected_seq:
            return broken(
                expected_seq,
                f"Entry #{expected_seq} was removed: the chain jumps from "
                f"#{expected_seq - 1} to #{entry.seq}.",
            )
        expected_prev = previous.hash if previous else GENESIS_HASH
        if entry.prev_hash != expected_prev:
            if previous is not None and entry.prev_hash == (before_previous_hash or GENESIS_HASH):
                return broken(
                    previous.seq,
                    f"Entry #{previous.seq} was inserted: #{entry.seq} was written straight "
                    f"after #{previous.seq - 1}.",
                )
            if previous is None:
                return broken(entry.seq, f"Entry #{entry.seq} was inserted or the start removed.")
            return broken(
                previous.seq,
                f"Entry #{previous.seq} was replaced: #{entry.seq} was written after a "
                "different entry.",
            )
        before_previous_hash = previous.hash if previous else GENESIS_HASH
        previous = entry
        report.checked += 1
        yield entry

    last_seq = previous.seq if previous else 0
    if last_seq < head_seq:
        return broken(
            last_seq + 1,
            f"Entry #{last_seq + 1} was removed: the chain should run to #{head_seq} but ends "
            f"at #{last_seq}.",
        )
    if last_seq > head_seq:
        return broken(
            head_seq + 1,
            f"Entry #{head_seq + 1} was inserted: the chain ended at #{head_seq} when it was "
            "last written.",
        )
    if previous is not None and previous.hash != head_hash:
        return broken(
            last_seq,
            f"Entry #{last_seq} was inserted or replaced: it is not the last entry written.",
        )
    return None


def verify_chain(*, rows: bool = True) -> ChainReport:
    """Walk the chain in order (in batches) and stop at the first entry changed, inserted or
    removed; then, when the chain holds, check every recorded row against its last entry:
    a row edited in the database, a row with no entry (a wiped trail), a row removed."""
    head_seq, head_hash = chain_head()
    report = ChainReport(checked=0, head_seq=head_seq, head_hash=head_hash)
    last_entry: dict[tuple[str, int], tuple[int, str, bool]] = {}
    for entry in _walk(report, _key()):
        if entry.object_type and entry.object_id is not None:
            last_entry[(entry.object_type, entry.object_id)] = (
                entry.seq,
                entry.object_digest,
                bool(entry.data.get("deleted")) if isinstance(entry.data, dict) else False,
            )
    if report.ok and rows:
        _verify_rows(report, last_entry)
    return report


def _verify_rows(report: ChainReport, last_entry: dict) -> None:
    for spec in recorded_models():
        label = spec.model._meta.label_lower
        name = spec.model._meta.verbose_name
        present = set()
        for values in (
            spec.model._base_manager.order_by("pk")
            .values("pk", *spec.fields)
            .iterator(chunk_size=2000)
        ):
            pk = values.pop("pk")
            present.add(pk)
            found = last_entry.get((label, pk))
            if found is None:
                report.findings.append(
                    Finding(None, f"{name} {pk} has no entry in the audit trail.")
                )
                continue
            seq, digest, deleted = found
            if deleted or digest != digest_values(label, values):
                report.findings.append(
                    Finding(
                        seq,
                        f"{name} {pk} was changed outside the product: it no longer matches "
                        f"entry #{seq}.",
                    )
                )
        for (object_type, pk), (seq, _digest, deleted) in last_entry.items():
            if object_type == label and pk not in present and not deleted:
                report.findings.append(
                    Finding(seq, f"{name} {pk} was removed without an entry (last: #{seq}).")
                )
