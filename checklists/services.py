"""Printing checklists: one person's PDF at once (from the cache when nothing changed), and a
whole cohort's in the background."""

import hashlib
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from checklists.pdf import merge_pdfs, render_checklist_archival, render_units
from portfolios.models import Enrolment
from portfolios.uploads import read_recent
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


UNIT_CACHE = "checklists/units"
# Cached PDFs not used for this many days are deleted by the daily prune.
CACHE_DAYS = 30


# A cached file read is marked as used (so the daily prune keeps it) at most this often: on an
# object store the mark is a request of its own.
TOUCH_EVERY = timedelta(days=1)


def _read_file(name: str) -> bytes | None:
    """A cached PDF, or None when it is gone or was not written to the end.

    A local disk writes a file in place, so a print stopped halfway (a full disk, a killed
    worker) leaves the first part of a PDF under the name its fingerprint gives. Served, it
    would be a broken print every time; merged, it would stop every print of its learner. So a
    file that does not end as a PDF ends is deleted and printed again.
    """
    try:
        pdf = read_recent(name, fresh_for=TOUCH_EVERY)
    except OSError:
        return None
    if not pdf[-32:].rstrip().endswith(b"%%EOF"):
        logger.warning("Cached checklist file %s is cut short; printing it again.", name)
        default_storage.delete(name)
        return None
    return pdf


def _read_cached(key: str, fingerprint: str) -> bytes | None:
    cached = CachedChecklist.objects.filter(key=key, fingerprint=fingerprint).first()
    if cached is None:
        return None
    pdf = _read_file(cached.pdf.name)
    if pdf is None:
        # The file went (storage cleaned by hand, or pruned): build it again.
        logger.warning("Cached checklist %s has lost its file; printing it again.", key)
    return pdf


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


@dataclass(frozen=True)
class UnitJob:
    """Unit `index` of `document`, cached in the folder of `owner` (a learner or blank forms)."""

    document: ChecklistDocument
    index: int
    owner: str
    tagged: bool

    @property
    def name(self) -> str:
        # The fingerprint covers everything the unit prints, so the file is named by it: a
        # changed unit gets a new file and the others are found again as they are.
        suffix = "-tagged" if self.tagged else ""
        return f"{UNIT_CACHE}/{self.owner}/{self.document.unit_fingerprint(self.index)}{suffix}.pdf"


def _owner(enrolment: Enrolment | None) -> str:
    return f"enrolment-{enrolment.pk}" if enrolment is not None else "blank"


def unit_pdfs(jobs: list[UnitJob]) -> tuple[list[bytes], int]:
    """Each job's PDF, from the unit cache or printed, and how many were printed.

    Every missing unit is printed in one pass (`render_units`: one worker per core),
    so a changed decision costs one unit's render and the rest come from the cache.
    """
    pdfs = [_read_file(job.name) for job in jobs]
    missing = [i for i, pdf in enumerate(pdfs) if pdf is None]
    for tagged in (True, False):
        todo = [i for i in missing if jobs[i].tagged is tagged]
        if not todo:
            continue
        rendered = render_units([(jobs[i].document, jobs[i].index) for i in todo], tagged=tagged)
        for i, pdf in zip(todo, rendered, strict=True):
            pdfs[i] = pdf
            _store_file(jobs[i].name, pdf)
    return pdfs, len(missing)


def _store_file(name: str, pdf: bytes) -> None:
    stored = default_storage.save(name, ContentFile(pdf))
    if stored != name:
        # Printed at the same moment by someone else, who stored the same bytes first.
        default_storage.delete(stored)


def checklist_print(
    *, document: ChecklistDocument, key: str, filename: str, enrolment: Enrolment | None = None
) -> PrintedChecklist:
    """The document as a PDF: the cached one when it prints exactly this, else a new one.

    A single unit is served tagged, straight from the unit cache. Several units are merged
    from the unit cache (untagged: the merge does not join structure trees, and tagged units
    take 6 to 7% longer to print; see checklists/README.md), and the merged file is kept too,
    so that an unchanged print costs one read.
    """
    title = document.title
    owner = _owner(enrolment)
    if len(document.units) == 1:
        (pdf,), printed = unit_pdfs([UnitJob(document, 0, owner, tagged=True)])
        return PrintedChecklist(pdf=pdf, title=title, filename=filename, from_cache=not printed)
    fingerprint = document.fingerprint()
    pdf = _read_cached(key, fingerprint)
    from_cache = pdf is not None
    if pdf is None:
        jobs = [UnitJob(document, i, owner, tagged=False) for i in range(len(document.units))]
        parts, _ = unit_pdfs(jobs)
        pdf = merge_pdfs(
            [(_outline(unit), part) for unit, part in zip(document.units, parts, strict=True)],
            title=title,
            author=document.centre_name,
        )
        _store_cached(key=key, fingerprint=fingerprint, pdf=pdf, enrolment=enrolment)
    return PrintedChecklist(pdf=pdf, title=title, filename=filename, from_cache=from_cache)


def _outline(unit) -> str:
    return f"{unit.code} {unit.title}".strip()


def enrolment_checklist_print(
    *, enrolment: Enrolment, layout: Layout, unit: Unit | None = None, with_extras: bool = False
) -> PrintedChecklist:
    """A learner's checklist, filled in: every unit they take, or one."""
    if unit is not None:
        scope, name = unit.slug, unit.code or unit.slug
    else:
        scope, name = "all", enrolment.qualification.number if enrolment.qualification_id else ""
    extras = ":extras" if with_extras else ""
    return checklist_print(
        document=filled_for_enrolment(enrolment, layout, unit=unit, with_extras=with_extras),
        key=f"enrolment:{enrolment.pk}:{layout.value}{extras}:{scope}",
        filename=_filename(layout.value, str(enrolment.learner), name),
        enrolment=enrolment,
    )


def enrolment_tagged_units(*, enrolment: Enrolment, layout: Layout) -> PrintedChecklist:
    """Every unit of a learner's checklist as its own tagged PDF, in one ZIP.

    The accessible companion of the merged print (which is not tagged): the same
    unit cache serves these files, so a second download renders nothing.
    """
    document = filled_for_enrolment(enrolment, layout)
    owner = _owner(enrolment)
    jobs = [UnitJob(document, i, owner, tagged=True) for i in range(len(document.units))]
    pdfs, printed = unit_pdfs(jobs)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, (unit, pdf) in enumerate(zip(document.units, pdfs, strict=True), start=1):
            archive.writestr(f"{number:02d}-{_filename(unit.code or unit.title)}", pdf)
    name = enrolment.qualification.number if enrolment.qualification_id else ""
    return PrintedChecklist(
        pdf=out.getvalue(),
        title=document.title,
        filename=_filename(layout.value, str(enrolment.learner), name, "units")[:-4] + ".zip",
        from_cache=not printed,
    )


def enrolment_unit_checklists(
    *, enrolment: Enrolment, layout: Layout = Layout.UNIT_ASSESSMENT, unit_ids=None
) -> list[tuple[str, bytes]]:
    """Each unit's filled checklist as its own tagged PDF, [(file name, pdf)], from the unit
    cache (only a changed unit is printed): for the EQA bundle. With `unit_ids`, only those
    units."""
    document = filled_for_enrolment(enrolment, layout)
    indexes = [
        i
        for i, unit in enumerate(document.units)
        if unit_ids is None or unit.unit_id in set(unit_ids)
    ]
    owner = _owner(enrolment)
    pdfs, _ = unit_pdfs([UnitJob(document, i, owner, tagged=True) for i in indexes])
    return [
        (f"{n:02d}-{_filename(document.units[i].code or document.units[i].title)}", pdf)
        for n, (i, pdf) in enumerate(zip(indexes, pdfs, strict=True), start=1)
    ]


def blank_checklist_print(
    *,
    layout: Layout,
    qualification: Qualification | None = None,
    unit: Unit | None = None,
    with_extras: bool = False,
) -> PrintedChecklist:
    """A blank form for paper: a whole qualification (mandatory units first), or one unit."""
    if (qualification is None) == (unit is None):
        raise ValueError("Print a blank form of a qualification or of a unit.")
    extras = ":extras" if with_extras else ""
    if qualification is not None:
        document = blank_for_qualification(qualification, layout, with_extras=with_extras)
        key = f"blank:qualification:{qualification.pk}:{layout.value}{extras}"
        name = qualification.number
    else:
        document = blank_for_unit(unit, layout, with_extras=with_extras)
        key = f"blank:unit:{unit.pk}:{layout.value}{extras}"
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


def cohort_print_create(
    *, centre: Centre, qualification: Qualification, layout: Layout, by: User
) -> CohortPrint:
    """The request to print every learner of the qualification at the centre into one PDF;
    `tasks.cohort_print_start` queues it for the worker."""
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

    return cohort_print


# Learners whose missing units are printed in one parallel pass before `done` moves on.
COHORT_BATCH = 15


def cohort_print_run(*, cohort_print_id: int) -> None:
    """Print each learner's checklist from the unit cache, merge them, keep the file.

    The units missing from the cache are printed a batch of learners at a time, in one
    parallel pass per batch (one worker per core), and `done` is saved after each batch, so
    the page can show how far it has got.
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
        layout = Layout(cohort_print.layout)
        parts = []
        for start in range(0, len(enrolments), COHORT_BATCH):
            batch = enrolments[start : start + COHORT_BATCH]
            jobs = []
            for enrolment in batch:
                document = filled_for_enrolment(enrolment, layout)
                jobs += [
                    UnitJob(document, i, _owner(enrolment), tagged=False)
                    for i in range(len(document.units))
                ]
            pdfs, _ = unit_pdfs(jobs)
            for job, pdf in zip(jobs, pdfs, strict=True):
                # One bookmark per learner, on their first unit.
                parts.append((job.document.learner_name if job.index == 0 else "", pdf))
            CohortPrint.objects.filter(pk=cohort_print.pk).update(done=start + len(batch))
        pdf = merge_pdfs(
            parts,
            title=f"{Layout(cohort_print.layout).label}: {cohort_print.qualification}, "
            f"{cohort_print.centre.name} (all learners)",
            author=cohort_print.centre.name,
        )
        pages = pdf_page_count(pdf)
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


def pdf_page_count(pdf: bytes) -> int:
    from io import BytesIO

    from pypdf import PdfReader

    return len(PdfReader(BytesIO(pdf)).pages)


# Archival copies --------------------------------------------------------------------------------


def enrolment_checklist_archival(
    *, enrolment: Enrolment, layout: Layout = Layout.ACHIEVEMENT, unit_ids=None
) -> bytes | None:
    """A learner's filled checklist as PDF/A, for the EQA bundle and the portable export.

    With `unit_ids`, only those units (an external moderator granted only some of them);
    None when that leaves no unit to print.
    """
    document = filled_for_enrolment(enrolment, layout)
    if unit_ids is not None:
        wanted = set(unit_ids)
        document.units = [unit for unit in document.units if unit.unit_id in wanted]
        if document.units:
            document.units[0].opens_document = True
    if not document.units:
        return None
    return render_checklist_archival(document)


# Pruning the cache ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneReport:
    unit_files: int
    merged: int


def checklist_cache_prune(*, days: int = CACHE_DAYS, now: datetime | None = None) -> PruneReport:
    """Delete the cached PDFs nobody has used for `days` days, and those of enrolments that
    are gone. A unit's file is touched whenever it is served, so what is in use stays."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    live = set(Enrolment.objects.values_list("pk", flat=True))
    unit_files = 0
    try:
        owners, _ = default_storage.listdir(UNIT_CACHE)
    except FileNotFoundError:
        owners = []
    for owner in owners:
        folder = f"{UNIT_CACHE}/{owner}"
        gone = owner.startswith("enrolment-") and int(owner.removeprefix("enrolment-")) not in live
        for name in default_storage.listdir(folder)[1]:
            path = f"{folder}/{name}"
            if gone or default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                unit_files += 1
    stale = list(CachedChecklist.objects.filter(built_at__lt=cutoff))
    for cached in stale:
        default_storage.delete(cached.pdf.name)
    CachedChecklist.objects.filter(pk__in=[c.pk for c in stale]).delete()
    return PruneReport(unit_files=unit_files, merged=len(stale))
