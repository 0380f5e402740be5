"""Evidence: a portfolio's items (drafts only for those who see them), one item, a new draft
with its files, more files for a draft. Reads go through `portfolios.selectors`' helpers and
writes through `portfolios.services`, so uploads pass the same checks (size, type by content,
cleaned names) and every change writes the same audit entry as from the pages."""

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from ninja import File, Form, Router, Status, UploadedFile
from ninja.pagination import paginate

from api.auth import writer
from api.common import READ_ERRORS, WRITE_ERRORS, Id, Pages, Rows
from api.schemas import EvidenceDetail, EvidenceIn, EvidenceOut
from portfolios import permissions, selectors, services
from portfolios.uploads import open_stored
from qualifications.models import EvidenceMethod

router = Router(tags=["evidence"])


def _row(e) -> dict:
    return {
        "id": e.pk,
        "enrolment_id": e.enrolment_id,
        "reference": e.reference,
        "title": e.title,
        "method": e.method.slug,
        "date": e.date,
        "state": e.state,
        "created_by": str(e.created_by),
        "submitted_at": e.submitted_at,
        "assessed_at": e.assessed_at,
        "supersedes_id": e.supersedes_id,
        "file_count": e.file_count,
        "criterion_count": e.criterion_count,
    }


def _detail(user, evidence) -> dict:
    page = selectors.evidence_page(user, evidence)
    return {
        "id": evidence.pk,
        "enrolment_id": evidence.enrolment_id,
        "reference": evidence.reference,
        "title": evidence.title,
        "description": evidence.description,
        "method": evidence.method.slug,
        "date": evidence.date,
        "text": evidence.text,
        "workplace_location": evidence.workplace_location,
        "state": page["state"],
        "created_by": str(evidence.created_by),
        "submitted_at": evidence.submitted_at,
        "assessed_at": evidence.assessed_at,
        "supersedes_id": evidence.supersedes_id,
        "files": [
            {
                "id": f.pk,
                "name": f.name,
                "size": f.size,
                "sha256": f.sha256,
                "content_type": f.content_type,
                "uploaded_at": f.uploaded_at,
            }
            for f in page["files"]
        ],
        "criteria": [c.pk for c in page["criteria"]],
    }


@router.get("/enrolments/{pk}/evidence", response={200: list[EvidenceOut], **READ_ERRORS})
@paginate(Pages)
def evidence_list(request, pk: Id):
    """The portfolio's items in reference order; drafts only for the learner, their tutor and
    the centre's staff."""
    enrolment = selectors.get_enrolment_for_user(request.user, pk)
    items = selectors.evidence_for_enrolment(
        enrolment, drafts=permissions.sees_drafts(request.user, enrolment)
    )
    return Rows(items, lambda page: [_row(e) for e in page])


@router.get("/evidence/{pk}", response={200: EvidenceDetail, **READ_ERRORS})
def evidence_detail(request, pk: Id):
    """One item with its files and the criteria it is mapped to (those the person may see)."""
    return _detail(request.user, selectors.get_evidence_for_user(request.user, pk))


def _method(slug: str) -> EvidenceMethod:
    method = EvidenceMethod.objects.filter(slug=slug).first()
    if method is None:
        raise ValidationError({"method": f"No evidence method {slug!r}."})
    return method


@router.post(
    "/enrolments/{pk}/evidence",
    response={201: EvidenceDetail, **WRITE_ERRORS},
    summary="Add a draft evidence item",
)
def evidence_create(
    request, pk: Id, payload: Form[EvidenceIn], files: File[list[UploadedFile]] = None
):
    """A new draft (multipart form: its fields, and any number of `files`), mapped to the
    criteria given. The learner, and their tutor for observations and witness testimony; it
    is submitted from the portfolio with the learner's declaration."""
    user = writer(request)
    enrolment = selectors.get_enrolment_for_user(user, pk, action="add_evidence")
    evidence = services.evidence_create(
        enrolment=enrolment,
        by=user,
        title=payload.title,
        method=_method(payload.method),
        date=payload.date,
        description=payload.description,
        text=payload.text,
        workplace_location=payload.workplace_location,
        files=files or (),
        criteria=payload.criteria,
    )
    return Status(201, _detail(user, selectors.get_evidence_for_user(user, evidence.pk)))


@router.post(
    "/evidence/{pk}/files",
    response={201: EvidenceDetail, **WRITE_ERRORS},
    summary="Add files to a draft",
)
def evidence_files_add(request, pk: Id, files: File[list[UploadedFile]]):
    """More files for a draft (multipart `files`), by whoever recorded it."""
    user = writer(request)
    evidence = selectors.get_evidence_for_user(user, pk, action="edit")
    services.evidence_update(
        evidence=evidence,
        by=user,
        title=evidence.title,
        method=evidence.method,
        date=evidence.date,
        description=evidence.description,
        text=evidence.text,
        workplace_location=evidence.workplace_location,
        new_files=files,
    )
    return Status(201, _detail(user, selectors.get_evidence_for_user(user, evidence.pk)))


@router.get(
    "/files/{pk}",
    response=READ_ERRORS,
    summary="Download an evidence file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file as stored (its type is in the item's `files`).",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def evidence_file_download(request, pk: Id):
    """A file of an item the person may see, as an attachment (drafts' files only for those
    who see drafts; an external moderator's download is logged, as from the pages)."""
    evidence_file = selectors.get_evidence_file_for_user(request.user, pk)
    try:
        handle = open_stored(evidence_file.file.name)
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    # Always an opaque download: a client renders nothing of a learner's upload by accident.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence_file.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
