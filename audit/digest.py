"""Digests of the rows the audit trail records, and which models are part of the record.

Each app says which of its models are record (`register` in its AppConfig.ready) and which of
their fields are bookkeeping that moves without a change of record (`updated_at`, counters).
An entry about a row carries the row's digest as the service wrote it; `verify_audit` digests
the row again, so a row edited straight in the database no longer matches its last entry.
"""

import datetime
import decimal
import hashlib
import json
from dataclasses import dataclass

from django.db import models

_REGISTRY: dict[str, "Recorded"] = {}


@dataclass(frozen=True)
class Recorded:
    model: type[models.Model]
    fields: tuple[str, ...]
    # Fields added to the model after rows were written: digested only when set, so the rows
    # written before them still match their entries.
    added_later: tuple[str, ...] = ()


def register(model, *, exclude: tuple[str, ...] = (), added_later: tuple[str, ...] = ()) -> None:
    """A model of the record. A row a service deletes (a draft) has an entry marked deleted.
    `added_later`: fields (by name) left out of a row's digest while they are empty."""
    fields = tuple(
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in exclude and not f.primary_key
    )
    later = tuple(model._meta.get_field(name).attname for name in added_later)
    _REGISTRY[model._meta.label_lower] = Recorded(model, fields, later)


def recorded_models() -> list[Recorded]:
    return list(_REGISTRY.values())


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def digest_values(label: str, values: dict) -> str:
    spec = _REGISTRY.get(label)
    if spec is not None and spec.added_later:
        values = {k: v for k, v in values.items() if not (k in spec.added_later and v is None)}
    body = json.dumps(
        {"model": label, **{k: _plain(v) for k, v in values.items()}},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def row_digest(obj) -> str:
    """The digest of a saved row of a registered model ("" for any other model)."""
    label = obj._meta.label_lower
    spec = _REGISTRY.get(label)
    if spec is None:
        return ""
    return digest_values(label, {name: getattr(obj, name) for name in spec.fields})
