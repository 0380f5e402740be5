"""The centre's progress export as a file: CSV or XLSX, every cell escaped against formulas,
and the audit chain's head at the end so the file can be matched to the trail later.

The CSV is streamed: rows are written as the learners are read, a chunk at a time
(`iter_progress_rows`), so a centre of thousands of learners never has the
whole file in memory. The XLSX (a zip, written whole by the spreadsheet library) is built in
memory.
"""

import csv
import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tablib
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from audit.chain import chain_head
from centres.reporting import percent
from centres.selectors import last_activity_of
from moderation import dashboards as moderation_dashboards
from moderation.enums import ModeratorKind, SampleOutcome
from moderation.models import SampleDecision
from portfolios import record as portfolio_record
from portfolios.models import Enrolment, UnitSignOff
from qualifications.models import Unit
from qualifications.spreadsheets import escape_formula

EXPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}

# ---------------------------------------------------------------- progress export

EXPORT_HEADERS = [
    "learner",
    "email",
    "registration_number",
    "qualification",
    "unit",
    "unit_title",
    "criteria_met",
    "criteria_total",
    "percent",
    "last_activity",
    "tutor",
    "sign_off",
    "internal_moderation",
    "external_moderation",
    # The specification versions the learner is on (a unit is versioned apart from its
    # qualification) and the grades; last, so the older columns keep their places.
    "qualification_version",
    "unit_version",
    "unit_grade",
    "qualification_grade",
    "qualification_points",
]


def _moderation_states(enrolment_ids) -> dict[tuple[int, int, str], str]:
    states = {}
    for enrolment_id, unit_id, kind, outcome in (
        SampleDecision.objects.latest()
        .filter(sample__enrolment_id__in=enrolment_ids)
        .values_list("sample__enrolment_id", "sample__unit_id", "sample__kind", "outcome")
    ):
        states[(enrolment_id, unit_id, kind)] = (
            "referred back" if outcome == SampleOutcome.REFERRED else "agreed"
        )
    return states


def _sign_off_dates(enrolment_ids) -> dict[tuple[int, int], datetime.datetime]:
    return {
        (e, u): at
        for e, u, at in UnitSignOff.objects.latest()
        .filter(enrolment_id__in=enrolment_ids)
        .values_list("enrolment_id", "unit_id", "signed_at")
    }


EXPORT_CHUNK = 500


def progress_rows(centre) -> list[list]:
    """Every row of the progress export, as a list (`iter_progress_rows`)."""
    return list(iter_progress_rows(centre))


def iter_progress_rows(centre, *, chunk_size: int = EXPORT_CHUNK):
    """One row per learner and unit, for the centre's progress export, with the
    specification versions the learner is on and their grades
    (`portfolios.record.achievements_for`). The learners are read `chunk_size` at a time
    (a fixed number of queries per chunk), so memory stays the same at any size."""
    enrolments = (
        Enrolment.objects.filter(centre=centre)
        .select_related("learner", "tutor", "qualification")
        .order_by("learner__last_name", "learner__first_name", "pk")
        .iterator(chunk_size=chunk_size)
    )
    while chunk := list(itertools.islice(enrolments, chunk_size)):
        yield from _progress_rows_of(chunk)


def _progress_rows_of(enrolments) -> list[list]:
    ids = [e.pk for e in enrolments]
    units = moderation_dashboards.unit_progress(ids)
    unit_rows = {u.pk: u for u in Unit.objects.filter(pk__in={u for _, u in units})}
    units_of = defaultdict(list)
    for (enrolment_id, unit_id), p in units.items():
        units_of[enrolment_id].append((unit_id, p))
    activity = last_activity_of(ids)
    signed = _sign_off_dates(ids)
    moderated = _moderation_states(ids)
    achievements = portfolio_record.achievements_for(enrolments)
    rows = []
    for e in enrolments:
        last = activity.get(e.pk)
        achievement = achievements[e.pk]
        qualification_grade = achievement.qualification
        for unit_id, p in sorted(
            units_of[e.pk], key=lambda item: unit_rows[item[0]].code or unit_rows[item[0]].title
        ):
            enrolment_id = e.pk
            unit = unit_rows[unit_id]
            if p["signed"]:
                sign_off = f"signed {timezone.localtime(signed[(enrolment_id, unit_id)]):%Y-%m-%d}"
            elif (enrolment_id, unit_id) in signed:
                sign_off = "referred back"
            else:
                sign_off = "not signed"
            unit_grade = achievement.units.get(unit_id)
            rows.append(
                [
                    str(e.learner),
                    e.learner.email,
                    e.registration_number,
                    e.qualification.number if e.qualification else "",
                    unit.code,
                    unit.title,
                    p["met"],
                    p["total"],
                    percent(p["met"], p["total"]),
                    timezone.localtime(last).strftime("%Y-%m-%d %H:%M") if last else "",
                    str(e.tutor),
                    sign_off,
                    moderated.get((enrolment_id, unit_id, ModeratorKind.INTERNAL), "not sampled"),
                    moderated.get((enrolment_id, unit_id, ModeratorKind.EXTERNAL), "not sampled"),
                    e.qualification.version if e.qualification else "",
                    unit.version,
                    unit_grade.grade_text if unit_grade else "",
                    qualification_grade.grade_label if qualification_grade else "",
                    qualification_grade.points if qualification_grade else "",
                ]
            )
    return rows


@dataclass(frozen=True)
class ExportFile:
    # The whole file (XLSX), or its pieces in order (CSV, streamed).
    content: bytes | str | Iterable[str]
    content_type: str
    filename: str
    head: str

    @property
    def streaming(self) -> bool:
        return not isinstance(self.content, bytes | str)


def _head() -> tuple[str, list[list[str]]]:
    """The chain's head as the header names it, and the last two rows of the file."""
    seq, digest = chain_head()
    return f"#{seq} {digest}", [
        [""] * len(EXPORT_HEADERS),
        ["audit chain head", f"#{seq}", digest] + [""] * (len(EXPORT_HEADERS) - 3),
    ]


class _Line:
    """A file-like object whose write() hands back what it is given (csv.writer's output
    then goes straight to the response)."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(centre, tail: list[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_HEADERS)
    for row in iter_progress_rows(centre):
        yield writer.writerow([escape_formula(cell) for cell in row])
    for row in tail:
        yield writer.writerow(row)


def progress_export(centre, fmt: str) -> ExportFile:
    """`fmt` is a key of EXPORT_FORMATS (the URL only lets those through)."""
    head, tail = _head()
    stamp = timezone.localdate().isoformat()
    filename = f"progress-{centre.centre_number}-{stamp}.{fmt}"
    if fmt == "csv":
        return ExportFile(
            content=_csv_lines(centre, tail),
            content_type="text/csv",
            filename=filename,
            head=head,
        )
    dataset = tablib.Dataset(headers=EXPORT_HEADERS)
    for row in iter_progress_rows(centre):
        dataset.append([escape_formula(cell) for cell in row])
    for row in tail:
        dataset.append(row)
    export_format = EXPORT_FORMATS[fmt]()
    return ExportFile(
        content=export_format.export_data(dataset),
        content_type=export_format.get_content_type(),
        filename=filename,
        head=head,
    )
