"""The centre's progress export as a file: CSV or XLSX, every cell escaped against formulas,
and the audit chain's head at the end so the file can be matched to the trail later."""

from dataclasses import dataclass

import tablib
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from audit.chain import chain_head
from centres.selectors import EXPORT_HEADERS, progress_rows
from qualifications.spreadsheets import escape_formula

EXPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}


@dataclass(frozen=True)
class ExportFile:
    content: bytes | str
    content_type: str
    filename: str
    head: str


def progress_export(centre, fmt: str) -> ExportFile:
    """`fmt` is a key of EXPORT_FORMATS (the URL only lets those through)."""
    dataset = tablib.Dataset(headers=EXPORT_HEADERS)
    for row in progress_rows(centre):
        dataset.append([escape_formula(cell) for cell in row])
    seq, digest = chain_head()
    head = f"#{seq} {digest}"
    dataset.append([""] * len(EXPORT_HEADERS))
    dataset.append(["audit chain head", f"#{seq}", digest] + [""] * (len(EXPORT_HEADERS) - 3))
    export_format = EXPORT_FORMATS[fmt]()
    stamp = timezone.localdate().isoformat()
    return ExportFile(
        content=export_format.export_data(dataset),
        content_type=export_format.get_content_type(),
        filename=f"progress-{centre.centre_number}-{stamp}.{fmt}",
        head=head,
    )
