"""A learner's whole record as an open package (`docs/portfolio.schema.json`).

The package is a zip holding:

- `manifest.json`: the enrolment, its units and criteria, evidence, mappings, decisions,
  sign-offs, referrals, moderation, progress, and the audit entries of this learner with the
  sending chain's head; every row carries its id here, so the entries' row digests can be
  checked against the rows on arrival;
- `manifest.sha256`: the manifest's SHA-256, so a manifest changed in transit is named as such;
- `files/<id>`: each evidence file, listed in the manifest with its size and SHA-256;
- `checklist.pdf`: the filled learner unit achievement checklist, listed the same way.

Files are read through the storage API and copied in chunks, never loaded whole.
"""

import datetime
import hashlib
import json
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from audit.chain import chain_head
from audit.models import AuditEntry
from checklists.enums import Layout
from checklists.services import enrolment_checklist_print
from moderation.enums import VACS_FIELDS
from moderation.models import Sample, SampleDecision
from portfolios import record, state
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Enrolment,
    EnrolmentUnit,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    ReopenedCriterion,
    Reopening,
    ReopeningClosure,
    SignOffAcknowledgement,
    UnitSignOff,
)
from qualifications.models import AssessmentCriterion, EvidenceMethod, Unit

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
CHECKLIST = "checklist.pdf"
CHUNK = 1024 * 1024


def when(value: datetime.datetime | None) -> str | None:
    """A time as the audit digests write it (UTC, microseconds), so digests can be redone."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def day(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def file_path(file_id: int) -> str:
    return f"files/{file_id}"


@dataclass(frozen=True)
class ExportedPackage:
    filename: str
    sha256: str
    manifest: dict


def _person(user, *, with_email: bool = False) -> dict:
    row = {"id": user.pk, "name": str(user), "first_name": user.first_name}
    row["last_name"] = user.last_name
    if with_email:
        row["email"] = user.email
    return row


def _units(unit_ids: set[int]) -> list[dict]:
    units = Unit.objects.filter(pk__in=unit_ids).order_by("pk")
    criteria: dict[int, list[dict]] = {}
    for c in AssessmentCriterion.objects.filter(unit_id__in=unit_ids).order_by("unit_id", "pk"):
        criteria.setdefault(c.unit_id, []).append({"id": c.pk, "number": c.number})
    return [
        {
            "id": u.pk,
            "code": u.code,
            "version": u.version,
            "slug": u.slug,
            "title": u.title,
            "criteria": criteria.get(u.pk, []),
        }
        for u in units
    ]


def build_manifest(enrolment: Enrolment) -> tuple[dict, list[EvidenceFile]]:
    """The manifest (without its file list's checklist entry) and the files to pack."""
    enrolment_units = list(
        EnrolmentUnit.objects.filter(enrolment=enrolment).order_by("position", "pk")
    )
    evidence = list(Evidence.objects.filter(enrolment=enrolment).order_by("number"))
    files = list(EvidenceFile.objects.filter(evidence__enrolment=enrolment).order_by("pk"))
    links = list(
        EvidenceCriterion.objects.filter(evidence__enrolment=enrolment).order_by("evidence", "pk")
    )
    decisions = list(CriterionDecision.objects.filter(enrolment=enrolment).order_by("pk"))
    decision_evidence = list(
        DecisionEvidence.objects.filter(decision__enrolment=enrolment).order_by("pk")
    )
    sign_offs = list(UnitSignOff.objects.filter(enrolment=enrolment).order_by("pk"))
    acknowledgements = {
        a.sign_off_id: a
        for a in SignOffAcknowledgement.objects.filter(sign_off__enrolment=enrolment)
    }
    reopenings = list(Reopening.objects.filter(enrolment=enrolment).order_by("pk"))
    reopened = list(ReopenedCriterion.objects.filter(reopening__enrolment=enrolment).order_by("pk"))
    closures = {
        c.reopening_id: c for c in ReopeningClosure.objects.filter(reopening__in=reopenings)
    }
    samples = list(Sample.objects.filter(enrolment=enrolment).order_by("pk"))
    sample_decisions = list(
        SampleDecision.objects.filter(sample__enrolment=enrolment).order_by("pk")
    )

    person_ids = {enrolment.tutor_id}
    person_ids |= {r.withdrawn_by_id for r in enrolment_units if r.withdrawn_by_id}
    person_ids |= {e.created_by_id for e in evidence}
    person_ids |= {e.submitted_by_id for e in evidence if e.submitted_by_id}
    person_ids |= {f.uploaded_by_id for f in files}
    person_ids |= {d.decided_by_id for d in decisions}
    person_ids |= {s.signed_by_id for s in sign_offs}
    person_ids |= {a.learner_id for a in acknowledgements.values()}
    person_ids |= {r.opened_by_id for r in reopenings}
    person_ids |= {c.closed_by_id for c in closures.values()}
    person_ids |= {s.opened_by_id for s in samples}
    person_ids |= {d.decided_by_id for d in sample_decisions}
    person_ids.discard(enrolment.learner_id)
    people = {u.pk: u for u in User.objects.filter(pk__in=person_ids)}

    unit_ids = {r.unit_id for r in enrolment_units}
    criterion_ids = {link.criterion_id for link in links} | {d.criterion_id for d in decisions}
    unit_ids |= set(
        AssessmentCriterion.objects.filter(pk__in=criterion_ids).values_list("unit_id", flat=True)
    )
    unit_ids |= {s.unit_id for s in sign_offs} | {r.unit_id for r in reopenings}
    unit_ids |= {s.unit_id for s in samples}
    method_ids = {e.method_id for e in evidence}

    files_of: dict[int, list[dict]] = {}
    for f in files:
        files_of.setdefault(f.evidence_id, []).append(
            {
                "id": f.pk,
                "path": file_path(f.pk),
                "name": f.name,
                "size": f.size,
                "sha256": f.sha256,
                "content_type": f.content_type,
                "uploaded_by": f.uploaded_by_id,
                "uploaded_at": when(f.uploaded_at),
            }
        )
    criteria_of: dict[int, list[int]] = {}
    for link in links:
        criteria_of.setdefault(link.evidence_id, []).append(link.criterion_id)
    evidence_of: dict[int, list[int]] = {}
    for link in decision_evidence:
        evidence_of.setdefault(link.decision_id, []).append(link.evidence_id)
    reopened_of: dict[int, list[int]] = {}
    for link in reopened:
        reopened_of.setdefault(link.reopening_id, []).append(link.decision_id)
    decisions_of: dict[int, list] = {}
    for d in sample_decisions:
        decisions_of.setdefault(d.sample_id, []).append(d)

    latest = record.latest_decisions(enrolment)
    met = state.met_criterion_ids(latest)
    current_units = [r.unit_id for r in enrolment_units if r.withdrawn_at is None]
    unit_criteria: dict[int, list[int]] = {}
    for unit_id, pk in AssessmentCriterion.objects.filter(unit_id__in=current_units).values_list(
        "unit_id", "pk"
    ):
        unit_criteria.setdefault(unit_id, []).append(pk)
    locked = record.locked_unit_ids(enrolment)

    qualification = enrolment.qualification
    head_seq, head_hash = chain_head()
    manifest = {
        "format_version": FORMAT_VERSION,
        "exported_at": when(timezone.now()),
        "source": {
            "installation": settings.PORTFOLIO_INSTALLATION_NAME,
            "centre": {
                "id": enrolment.centre_id,
                "number": enrolment.centre.centre_number,
                "name": enrolment.centre.name,
            },
        },
        "learner": _person(enrolment.learner, with_email=True),
        "people": [_person(people[pk]) for pk in sorted(people)],
        "qualification": None
        if qualification is None
        else {
            "id": qualification.pk,
            "number": qualification.number,
            "version": qualification.version,
            "title": qualification.title,
        },
        "units": _units(unit_ids),
        "methods": [
            {"id": m.pk, "slug": m.slug, "name": m.name}
            for m in EvidenceMethod.objects.filter(pk__in=method_ids).order_by("pk")
        ],
        "enrolment": {
            "id": enrolment.pk,
            "registration_number": enrolment.registration_number,
            "start_date": day(enrolment.start_date),
            "planned_end_date": day(enrolment.planned_end_date),
            "status": enrolment.status,
            "tutor": enrolment.tutor_id,
            # Read now: the caller's instance may predate the last item added.
            "last_evidence_number": Enrolment.objects.filter(pk=enrolment.pk)
            .values_list("last_evidence_number", flat=True)
            .get(),
            "units": [
                {
                    "id": r.pk,
                    "unit": r.unit_id,
                    "position": r.position,
                    "withdrawn_at": when(r.withdrawn_at),
                    "withdrawn_by": r.withdrawn_by_id,
                    "withdrawal_reason": r.withdrawal_reason,
                }
                for r in enrolment_units
            ],
        },
        "evidence": [
            {
                "id": e.pk,
                "number": e.number,
                "reference": e.reference,
                "title": e.title,
                "description": e.description,
                "method": e.method_id,
                "date": day(e.date),
                "text": e.text,
                "workplace_location": e.workplace_location,
                "supersedes": e.supersedes_id,
                "created_by": e.created_by_id,
                "created_at": when(e.created_at),
                "submitted_at": when(e.submitted_at),
                "submitted_by": e.submitted_by_id,
                "declaration": e.declaration,
                "assessed_at": when(e.assessed_at),
                "imported_from": e.imported_from_id,
                "criteria": criteria_of.get(e.pk, []),
                "files": files_of.get(e.pk, []),
            }
            for e in evidence
        ],
        "decisions": [
            {
                "id": d.pk,
                "criterion": d.criterion_id,
                "unit": d.unit_id,
                "outcome": d.outcome,
                "decided_on": day(d.decided_on),
                "feedback": d.feedback,
                "decided_by": d.decided_by_id,
                "decided_at": when(d.decided_at),
                "supersedes": d.supersedes_id,
                "carried_from": d.carried_from_id,
                "imported_from": d.imported_from_id,
                "evidence": evidence_of.get(d.pk, []),
            }
            for d in decisions
        ],
        "sign_offs": [_sign_off(s, acknowledgements.get(s.pk)) for s in sign_offs],
        "reopenings": [_reopening(r, reopened_of, closures.get(r.pk)) for r in reopenings],
        "samples": [_sample(s, decisions_of.get(s.pk, [])) for s in samples],
        "progress": {
            "units": [
                {
                    "unit": unit_id,
                    "criteria": len(unit_criteria.get(unit_id, [])),
                    "met": len(met & set(unit_criteria.get(unit_id, []))),
                    "locked": unit_id in locked,
                }
                for unit_id in current_units
            ]
        },
        "audit": {
            "entries": [
                _entry(e)
                for e in AuditEntry.objects.filter(enrolment_id=enrolment.pk).order_by("seq")
            ],
            "chain_head": {"seq": head_seq, "hash": head_hash},
        },
        "files": [],
    }
    return manifest, files


def _sign_off(s: UnitSignOff, ack: SignOffAcknowledgement | None) -> dict:
    return {
        "id": s.pk,
        "unit": s.unit_id,
        "signed_by": s.signed_by_id,
        "signature_name": s.signature_name,
        "signed_at": when(s.signed_at),
        "comments": s.comments,
        "supersedes": s.supersedes_id,
        "imported_from": s.imported_from_id,
        "acknowledgement": None
        if ack is None
        else {
            "id": ack.pk,
            "learner": ack.learner_id,
            "comment": ack.comment,
            "acknowledged_at": when(ack.acknowledged_at),
        },
    }


def _reopening(r: Reopening, reopened_of: dict, closure: ReopeningClosure | None) -> dict:
    return {
        "id": r.pk,
        "unit": r.unit_id,
        "sign_off": r.sign_off_id,
        "decisions": reopened_of.get(r.pk, []),
        "reason": r.reason,
        "opened_by": r.opened_by_id,
        "opened_at": when(r.opened_at),
        "closure": None
        if closure is None
        else {
            "id": closure.pk,
            "closed_by": closure.closed_by_id,
            "closed_at": when(closure.closed_at),
        },
    }


def _vacs(d: SampleDecision) -> dict:
    return {field: getattr(d, field) for field in VACS_FIELDS}


def _sample(s: Sample, decisions: list[SampleDecision]) -> dict:
    return {
        "id": s.pk,
        "unit": s.unit_id,
        "kind": s.kind,
        "plan": s.plan_id,
        "grant": s.grant_id,
        "opened_by": s.opened_by_id,
        "opened_at": when(s.opened_at),
        "decisions": [
            {
                "id": d.pk,
                "stage": d.stage,
                "sign_off": d.sign_off_id,
                "outcome": d.outcome,
                "comments": d.comments,
                "required_actions": d.required_actions,
                "decided_by": d.decided_by_id,
                "signature_name": d.signature_name,
                "signed_at": when(d.signed_at),
                "supersedes": d.supersedes_id,
                "reopening": d.reopening_id,
                # The internal moderator's VACS checklist, when it was asked.
                **({"vacs": _vacs(d)} if d.valid is not None else {}),
            }
            for d in decisions
        ],
    }


def _entry(e: AuditEntry) -> dict:
    return {
        "seq": e.seq,
        "created_at": when(e.created_at),
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "centre_id": e.centre_id,
        "enrolment_id": e.enrolment_id,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_digest": e.object_digest,
        "summary": e.summary,
        "data": e.data,
        "keyed": e.keyed,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _copy(source, archive: zipfile.ZipFile, name: str, size: int) -> str:
    """Copy a stored file into the archive in chunks; its SHA-256 as copied."""
    digest = hashlib.sha256()
    with archive.open(name, "w", force_zip64=size > 2**31) as target:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def manifest_bytes(manifest: dict) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()


def write_package(enrolment: Enrolment, target) -> dict:
    """Write the package of `enrolment` to the binary file `target`; its manifest."""
    manifest, files = build_manifest(enrolment)
    checklist = enrolment_checklist_print(enrolment=enrolment, layout=Layout.ACHIEVEMENT).pdf
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            with f.file.open("rb") as source:
                sha256 = _copy(source, archive, file_path(f.pk), f.size)
            # The bytes as they are now, not as they were recorded: a file changed in storage
            # is refused on arrival, naming it, rather than carried on quietly.
            manifest["files"].append({"path": file_path(f.pk), "size": f.size, "sha256": sha256})
        archive.writestr(CHECKLIST, checklist)
        manifest["files"].append(
            {
                "path": CHECKLIST,
                "size": len(checklist),
                "sha256": hashlib.sha256(checklist).hexdigest(),
            }
        )
        body = manifest_bytes(manifest)
        archive.writestr(MANIFEST, body)
        archive.writestr(MANIFEST_HASH, hashlib.sha256(body).hexdigest() + "\n")
    return manifest
