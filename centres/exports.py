"""The centre's progress export as a file: CSV or XLSX, every cell escaped against formulas,
and the audit chain's head at the end so the file can be matched to the trail later.

The CSV is streamed: rows are written as the learners are read, a chunk at a time
(`centres.selectors.iter_progress_rows`), so a centre of thousands of learners never has the
whole file in memory. The XLSX (a zip, written whole by the spreadsheet library) is built in
memory.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tablib
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from audit.chain import chain_head
from centres.selectors import EXPORT_HEADERS, iter_progress_rows
from qualifications.spreadsheets import escape_formula

EXPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}


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
