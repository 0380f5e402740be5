"""Opening a portfolio package and checking it before anything of it is written.

Everything that needs no database of the receiving side is checked here, and a package that
fails any check is refused with every problem named:

- the zip itself: too many parts, too large unpacked (the archive's directory is read first,
  as `qualifications.archives` does for .docx files), names outside the package's layout
  (a path into another folder, an absolute path), a name twice;
- the manifest: its SHA-256 against `manifest.sha256`, then the published schema;
- the files: each one the manifest lists is there, with its size and SHA-256; no file is
  there that it does not list; each evidence file's recorded SHA-256 is that of its bytes;
- the audit entries: each entry's hash is computed again as `audit.chain` computes it, each
  entry follows the one before it where they are consecutive, and the last one is the chain
  head when the head is among them; each evidence item, decision, sign-off, referral and
  moderation decision of the manifest has the digest that its last entry recorded, so a row
  changed in the manifest is named even when the manifest's own hash was made again.
"""

import datetime
import hashlib
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
from django.conf import settings

from audit.chain import entry_hash
from audit.digest import digest_values, recorded_models
from audit.models import AuditEntry
from moderation.enums import VACS_FIELDS
from portable.export import CHECKLIST, FORMAT_VERSION, MANIFEST, MANIFEST_HASH

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "portfolio.schema.json"
CHUNK = 1024 * 1024
NAME = re.compile(r"(manifest\.json|manifest\.sha256|checklist\.pdf|files/[1-9][0-9]{0,18})")
MAX_MANIFEST_BYTES = 256 * 1024 * 1024


class PackageRefused(ValueError):
    """The package is not imported; `problems` says why, each naming what is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@dataclass
class Package:
    """A checked package, still open: the files are read from it again while importing."""

    archive: zipfile.ZipFile
    manifest: dict
    sha256: str
    problems: list[str] = field(default_factory=list)

    def open(self, path: str):
        return self.archive.open(path, "r")

    def close(self) -> None:
        self.archive.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _sha256_of(fileobj) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def _check_layout(archive: zipfile.ZipFile) -> list[str]:
    problems = []
    entries = archive.infolist()
    max_files = settings.PORTFOLIO_PACKAGE_MAX_FILES
    if len(entries) > max_files + 3:
        problems.append(
            f"The package holds {len(entries)} parts; at most {max_files} files are accepted "
            "(PORTFOLIO_PACKAGE_MAX_FILES)."
        )
    max_mb = settings.PORTFOLIO_PACKAGE_MAX_MB
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > max_mb * 1024 * 1024:
        problems.append(
            f"The package unpacks to {unpacked / (1024 * 1024):.1f} MB; at most {max_mb} MB "
            "is accepted (PORTFOLIO_PACKAGE_MAX_MB)."
        )
    seen = set()
    for entry in entries:
        if not NAME.fullmatch(entry.filename):
            problems.append(
                f"The package holds {entry.filename!r}, a name outside its layout (only "
                "manifest.json, manifest.sha256, checklist.pdf and files/<number>)."
            )
        elif entry.filename in seen:
            problems.append(f"The package holds {entry.filename} twice.")
        seen.add(entry.filename)
    for name in (MANIFEST, MANIFEST_HASH):
        if name not in seen:
            problems.append(f"The package has no {name}.")
    return problems


def _read_manifest(archive: zipfile.ZipFile) -> tuple[dict | None, list[str]]:
    if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
        return None, [f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES // 2**20} MB."]
    try:
        body = archive.read(MANIFEST)
        stated = archive.read(MANIFEST_HASH)[:200].decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        return None, [f"{MANIFEST} is damaged in the zip ({error})."]
    actual = hashlib.sha256(body).hexdigest()
    if stated != actual:
        return None, [
            f"{MANIFEST} was changed: its SHA-256 is {actual}, not the {stated} that "
            f"{MANIFEST_HASH} records."
        ]
    try:
        manifest = json.loads(body)
    except ValueError as error:
        return None, [f"{MANIFEST} is not JSON ({error})."]
    validator = jsonschema.Draft202012Validator(schema())
    problems = [
        f"{MANIFEST} does not follow docs/portfolio.schema.json at "
        f"{'/'.join(str(p) for p in error.absolute_path) or 'its top'}: {error.message}"
        for error in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    ][:20]
    if not problems and manifest["format_version"] != FORMAT_VERSION:
        problems.append(f"Format version {manifest['format_version']} is not known here.")
    return (None if problems else manifest), problems


def _file_sha256(archive: zipfile.ZipFile, path: str, size: int) -> tuple[str, int]:
    """SHA-256 and length of a part, reading at most one byte more than `size`."""
    digest, length = hashlib.sha256(), 0
    with archive.open(path, "r") as part:
        while length <= size:
            chunk = part.read(min(CHUNK, size + 1 - length))
            if not chunk:
                break
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length


def _evidence_files(manifest: dict) -> Iterator[tuple[dict, dict]]:
    for item in manifest["evidence"]:
        for f in item["files"]:
            yield item, f


def _check_files(archive: zipfile.ZipFile, manifest: dict) -> list[str]:
    problems = []
    listed = {f["path"]: f for f in manifest["files"]}
    what = {
        f["path"]: f"{f['name']} of {item['reference']}" for item, f in _evidence_files(manifest)
    }
    what[CHECKLIST] = "the filled checklist"
    present = set(archive.namelist()) - {MANIFEST, MANIFEST_HASH}
    for path in sorted(present - set(listed)):
        problems.append(f"{path} is in the package but not in its manifest (an extra file).")
    for path, entry in listed.items():
        label = f"{path} ({what.get(path, 'not an evidence file')})"
        if path not in present:
            problems.append(f"{label} is listed in the manifest but missing from the package.")
            continue
        try:
            sha256, length = _file_sha256(archive, path, entry["size"])
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            problems.append(f"{label} is damaged in the zip ({error}).")
            continue
        if length != entry["size"]:
            problems.append(
                f"{label} was altered: it is {'more than ' if length > entry['size'] else ''}"
                f"{length} bytes, not {entry['size']}."
            )
        elif sha256 != entry["sha256"]:
            problems.append(f"{label} was altered: its SHA-256 is {sha256}, not {entry['sha256']}.")
    if CHECKLIST not in listed:
        problems.append("The package has no filled checklist (checklist.pdf).")
    for item, f in _evidence_files(manifest):
        entry = listed.get(f["path"])
        if entry is None:
            problems.append(f"{f['path']} ({f['name']} of {item['reference']}) is not listed.")
        elif (entry["sha256"], entry["size"]) != (f["sha256"], f["size"]):
            problems.append(
                f"{f['path']} ({f['name']} of {item['reference']}) is not the file that was "
                f"uploaded: its SHA-256 was recorded as {f['sha256']}, the package holds "
                f"{entry['sha256']}."
            )
    return problems


# ---------------------------------------------------------------- the audit entries


def _entry(row: dict) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        created_at=datetime.datetime.fromisoformat(row["created_at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        centre_id=row["centre_id"],
        enrolment_id=row["enrolment_id"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        object_digest=row["object_digest"],
        summary=row["summary"],
        data=row["data"],
        keyed=row["keyed"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _check_chain(manifest: dict) -> list[str]:
    problems = []
    entries = manifest["audit"]["entries"]
    head = manifest["audit"]["chain_head"]
    previous = None
    for row in entries:
        entry = _entry(row)
        if entry_hash(entry) != entry.hash:
            if entry.keyed:
                problems.append(
                    f"Audit entry #{entry.seq} ({entry.summary}) does not match its hash under "
                    "this installation's AUDIT_KEY: it was changed, or the sending "
                    "installation keys its trail with another key."
                )
            else:
                problems.append(
                    f"Audit entry #{entry.seq} ({entry.summary}) was changed: its content no "
                    "longer matches its hash."
                )
        if previous is not None:
            if entry.seq <= previous["seq"]:
                problems.append(f"Audit entry #{entry.seq} is out of order.")
            elif entry.seq == previous["seq"] + 1 and entry.prev_hash != previous["hash"]:
                problems.append(
                    f"Audit entry #{entry.seq} does not follow #{previous['seq']}: the chain "
                    "between them was changed."
                )
        previous = row
    if previous is not None:
        if previous["seq"] > head["seq"]:
            problems.append(
                f"Audit entry #{previous['seq']} is after the chain head #{head['seq']}."
            )
        elif previous["seq"] == head["seq"] and previous["hash"] != head["hash"]:
            problems.append(
                f"Audit entry #{previous['seq']} is not the chain head it claims to be."
            )
    return problems


def _digests(manifest: dict) -> Iterator[tuple[str, str, int, dict]]:
    """(label, what, source id, the row's digested values) of each row the audit records."""
    enrolment = manifest["enrolment"]["id"]
    for e in manifest["evidence"]:
        yield (
            "portfolios.evidence",
            f"evidence {e['reference']}",
            e["id"],
            {
                "enrolment_id": enrolment,
                "number": e["number"],
                "reference": e["reference"],
                "title": e["title"],
                "description": e["description"],
                "method_id": e["method"],
                "date": e["date"],
                "text": e["text"],
                "workplace_location": e["workplace_location"],
                "supersedes_id": e["supersedes"],
                "created_by_id": e["created_by"],
                "created_at": e["created_at"],
                "submitted_at": e["submitted_at"],
                "submitted_by_id": e["submitted_by"],
                "declaration": e["declaration"],
                "imported_from_id": e["imported_from"],
            },
        )
    for d in manifest["decisions"]:
        yield (
            "portfolios.criteriondecision",
            f"decision {d['id']}",
            d["id"],
            {
                "enrolment_id": enrolment,
                "criterion_id": d["criterion"],
                "unit_id": d["unit"],
                "outcome": d["outcome"],
                "decided_on": d["decided_on"],
                "feedback": d["feedback"],
                "decided_by_id": d["decided_by"],
                "decided_at": d["decided_at"],
                "supersedes_id": d["supersedes"],
                "carried_from_id": d["carried_from"],
                "imported_from_id": d["imported_from"],
            },
        )
    for s in manifest["sign_offs"]:
        yield (
            "portfolios.unitsignoff",
            f"sign-off {s['id']}",
            s["id"],
            {
                "enrolment_id": enrolment,
                "unit_id": s["unit"],
                "signed_by_id": s["signed_by"],
                "signature_name": s["signature_name"],
                "signed_at": s["signed_at"],
                "comments": s["comments"],
                "supersedes_id": s["supersedes"],
                "imported_from_id": s["imported_from"],
            },
        )
        ack = s["acknowledgement"]
        if ack is not None:
            yield (
                "portfolios.signoffacknowledgement",
                f"acknowledgement {ack['id']}",
                ack["id"],
                {
                    "sign_off_id": s["id"],
                    "learner_id": ack["learner"],
                    "comment": ack["comment"],
                    "acknowledged_at": ack["acknowledged_at"],
                },
            )
    for r in manifest["reopenings"]:
        yield (
            "portfolios.reopening",
            f"referral {r['id']}",
            r["id"],
            {
                "enrolment_id": enrolment,
                "unit_id": r["unit"],
                "sign_off_id": r["sign_off"],
                "reason": r["reason"],
                "opened_by_id": r["opened_by"],
                "opened_at": r["opened_at"],
            },
        )
    for sample in manifest["samples"]:
        for d in sample["decisions"]:
            yield (
                "moderation.sampledecision",
                f"moderation decision {d['id']}",
                d["id"],
                {
                    "sample_id": sample["id"],
                    "stage": d["stage"],
                    "sign_off_id": d["sign_off"],
                    "outcome": d["outcome"],
                    "comments": d["comments"],
                    "required_actions": d["required_actions"],
                    "decided_by_id": d["decided_by"],
                    "signature_name": d["signature_name"],
                    "signed_at": d["signed_at"],
                    "supersedes_id": d["supersedes"],
                    "reopening_id": d["reopening"],
                    # The VACS checklist: absent (None, left out of the digest) when not asked.
                    **{field: (d.get("vacs") or {}).get(field) for field in VACS_FIELDS},
                },
            )


def _check_rows(manifest: dict) -> list[str]:
    """Each recorded row of the manifest against the digest its last entry recorded."""
    fields = {spec.model._meta.label_lower: set(spec.fields) for spec in recorded_models()}
    last = {}
    for row in manifest["audit"]["entries"]:
        if row["object_type"] and row["object_id"] is not None:
            last[(row["object_type"], row["object_id"])] = row
    problems = []
    for label, what, pk, values in _digests(manifest):
        # The fields the trail digests, and no other: a field the manifest does not carry
        # would make every row look changed, so that is a fault of this code, loudly.
        missing = fields[label] - set(values)
        if missing:
            raise RuntimeError(f"The package lacks {sorted(missing)} of {label}.")
        entry = last.get((label, pk))
        if entry is None:
            problems.append(f"The {what} has no entry in the package's audit trail.")
            continue
        digest = digest_values(label, {k: values[k] for k in fields[label]})
        if digest != entry["object_digest"]:
            problems.append(
                f"The {what} was changed: it no longer matches audit entry #{entry['seq']}."
            )
    return problems


def open_package(fileobj) -> Package:
    """Check the package in `fileobj` (a seekable binary file) and return it open; refuse it
    (`PackageRefused`, naming every problem) when anything is wrong."""
    sha256 = _sha256_of(fileobj)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise PackageRefused([f"The file is not a portfolio package (a zip): {error}."]) from error
    try:
        problems = _check_layout(archive)
        if problems:
            raise PackageRefused(problems)
        manifest, problems = _read_manifest(archive)
        if problems:
            raise PackageRefused(problems)
        problems = _check_files(archive, manifest) + _check_chain(manifest)
        problems += _check_rows(manifest)
        if problems:
            raise PackageRefused(problems)
    except BaseException:
        archive.close()
        raise
    return Package(archive=archive, manifest=manifest, sha256=sha256)
