"""Printing checklists: one person's PDF at once (from the cache when nothing changed), and a
whole cohort's in the background."""

import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Centre, User
from checklists import permissions, selectors
from checklists.data import (
    ChecklistDocument,
    blank_for_qualification,
    blank_for_unit,
    filled_for_enrolment,
)
from checklists.enums import CohortPrintStatus, Layout
from checklists.models import CachedChecklist, CohortPrint
from checklists.pdf import render_checklist
from portfolios.models import Enrolment
from qualifications.models import Qualification, Unit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintedChecklist:
    pdf: bytes
    title: str
    filename: str
    from_cache: bool


def _filename(*parts: str) -> str:
    """A file name people can keep: words and digits only, joined by dashes."""
    words = "-".join(p for p in parts if p)
    safe = "".join(c if c.isalnum() else "-" for c in words)
    return "-".join(filter(None, safe.split("-"))).lower()[:120] + ".pdf"


def _read_cached(key: str, fingerprint: str) -> bytes | None:
    cached = CachedChecklist.objects.filter(key=key, fingerprint=fingerprint).first()
    if cached is None:
        return None
    try:
        with cached.pdf.open("rb") as file:
            return file.read()
    except OSError:
        # The file went (storage cleaned by hand): build it again.
        logger.warning("Cached checklist %s has lost its file; printing it again.", key)
        return None


def _store_cached(*, key: str, fingerprint: str, pdf: bytes, enrolment: Enrolment | None) -> None:
    """Keep the PDF for next time; the copy it replaces is deleted once this one is saved."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    name = default_storage.save(
        f"checklists/cache/{digest}-{fingerprint[:16]}.pdf", ContentFile(pdf)
    )
    old_name = None
    try:
        with transaction.atomic():
            cached = CachedChecklist.objects.select_for_update().filter(key=key).first()
            if cached is None:
                cached = CachedChecklist(key=key)
            else:
                old_name = cached.pdf.name
            cached.enrolment = enrolment
            cached.fingerprint = fingerprint
            cached.pdf.name = name
            cached.size = len(pdf)
            cached.built_at = timezone.now()
            cached.full_clean()
            cached.save()
    except (IntegrityError, ValidationError):
        # Someone printed the same checklist at the same moment and stored theirs first.
        default_storage.delete(name)
        return
    if old_name and old_name != name:
        transaction.on_commit(lambda: default_storage.delete(old_name))


def checklist_print(
    *, document: ChecklistDocument, key: str, filename: str, enrolment: Enrolment | None = None
) -> PrintedChecklist:
    """The document as a PDF: the cached one when it prints exactly this, else a new one."""
    fingerprint = document.fingerprint()
    pdf = _read_cached(key, fingerprint)
    from_cache = pdf is not None
    if pdf is None:
        pdf = render_checklist(document)
        _store_cached(key=key, fingerprint=fingerprint, pdf=pdf, enrolment=enrolment)
    return PrintedChecklist(pdf=pdf, title=document.title, filename=filename, from_cache=from_cache)


def enrolment_checklist_print(
    *, enrolment: Enrolment, layout: Layout, unit: Unit | None = None
) -> PrintedChecklist:
    """A learner's checklist, filled in: every unit they take, or one."""
    if unit is not None:
        scope, name = unit.slug, unit.code or unit.slug
    else:
        scope, name = "all", enrolment.qualification.number if enrolment.qualification_id else ""
    return checklist_print(
        document=filled_for_enrolment(enrolment, layout, unit=unit),
        key=f"enrolment:{enrolment.pk}:{layout.value}:{scope}",
        filename=_filename(layout.value, str(enrolment.learner), name),
        enrolment=enrolment,
    )


def blank_checklist_print(
    *, layout: Layout, qualification: Qualification | None = None, unit: Unit | None = None
) -> PrintedChecklist:
    """A blank form for paper: a whole qualification, or one unit."""
    if (qualification is None) == (unit is None):
        raise ValueError("Print a blank form of a qualification or of a unit.")
    if qualification is not None:
        document = blank_for_qualification(qualification, layout)
        key = f"blank:qualification:{qualification.pk}:{layout.value}"
        name = qualification.number
    else:
        document = blank_for_unit(unit, layout)
        key = f"blank:unit:{unit.pk}:{layout.value}"
        name = unit.code or unit.slug
    return checklist_print(
        document=document, key=key, filename=_filename(layout.value, "blank", name)
    )


# Cohort prints ---------------------------------------------------------------------------------


def cohort_filename(cohort_print: CohortPrint) -> str:
    return _filename(
        cohort_print.layout,
        cohort_print.qualification.number,
        cohort_print.centre.name,
        "all-learners",
    )


def cohort_print_start(
    *, centre: Centre, qualification: Qualification, layout: Layout, by: User
) -> CohortPrint:
    """Queue the printing of every learner of the qualification at the centre into one PDF."""
    if not permissions.can_print_cohort(by, centre):
        raise ValidationError("Only the centre's admins print a whole cohort.")
    total = selectors.cohort_enrolments(centre, qualification).count()
    if not total:
        raise ValidationError(f"No learners are enrolled on {qualification.number} here.")
    with transaction.atomic():
        cohort_print = CohortPrint(
            centre=centre, qualification=qualification, layout=layout, requested_by=by, total=total
        )
        cohort_print.full_clean()
        cohort_print.save()

    from checklists.tasks import print_cohort

    # Queued once the row is saved, so the worker always finds it. A backend that runs tasks
    # at once (tests) has printed the whole cohort by the time this returns.
    result = print_cohort.enqueue(cohort_print.pk)
    CohortPrint.objects.filter(pk=cohort_print.pk).update(task_id=str(result.id))
    cohort_print.refresh_from_db()
    return cohort_print


def _merge(cohort_print: CohortPrint, printed: list[tuple[str, bytes]]) -> tuple[bytes, int]:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for learner_name, pdf in printed:
        writer.append(PdfReader(BytesIO(pdf)), outline_item=learner_name, import_outline=True)
    writer.add_metadata(
        {
            "/Title": f"{Layout(cohort_print.layout).label}: {cohort_print.qualification}, "
            f"{cohort_print.centre.name} (all learners)",
            "/Author": cohort_print.centre.name,
        }
    )
    writer.root_object[NameObject("/Lang")] = TextStringObject("en-GB")
    out = BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


def cohort_print_run(*, cohort_print_id: int) -> None:
    """Print each learner's checklist (cached ones are reused), merge them, keep the file.

    `done` is saved after each learner, so the page can show how far it has got.
    """
    cohort_print = CohortPrint.objects.select_related("centre", "qualification").get(
        pk=cohort_print_id
    )
    if cohort_print.is_finished:
        return
    enrolments = list(selectors.cohort_enrolments(cohort_print.centre, cohort_print.qualification))
    if not enrolments:
        CohortPrint.objects.filter(pk=cohort_print.pk).update(
            status=CohortPrintStatus.FAILED,
            error="No learners are enrolled on the qualification here any more.",
            finished_at=timezone.now(),
        )
        return
    CohortPrint.objects.filter(pk=cohort_print.pk).update(
        status=CohortPrintStatus.RUNNING,
        started_at=timezone.now(),
        total=len(enrolments),
        done=0,
    )
    try:
        printed = []
        layout = Layout(cohort_print.layout)
        for number, enrolment in enumerate(enrolments, start=1):
            checklist = enrolment_checklist_print(enrolment=enrolment, layout=layout)
            printed.append((str(enrolment.learner), checklist.pdf))
            CohortPrint.objects.filter(pk=cohort_print.pk).update(done=number)
        pdf, pages = _merge(cohort_print, printed)
        name = default_storage.save(
            f"checklists/cohorts/cohort-{cohort_print.pk}.pdf", ContentFile(pdf)
        )
    except Exception as error:
        CohortPrint.objects.filter(pk=cohort_print.pk).update(
            status=CohortPrintStatus.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    CohortPrint.objects.filter(pk=cohort_print.pk).update(
        status=CohortPrintStatus.DONE, pdf=name, pages=pages, finished_at=timezone.now()
    )
