"""Checking a zip-based upload (.docx, .xlsx) before anything unpacks it.

A .docx or .xlsx is a zip archive. A small file can declare parts that inflate to hundreds of
megabytes (a 156 KB .docx inflating to 50 MB took 30 s and 700 MB to parse), or thousands of
parts. The archive's directory says how large each part is and Python's zipfile never returns
more than that, so reading the directory is enough to refuse such a file before python-docx or
openpyxl parse it. The limits are settings: ARCHIVE_MAX_UNCOMPRESSED_MB and ARCHIVE_MAX_ENTRIES.

It lives in `qualifications`, the lowest app that reads such files (spec documents), so that
`centres` (class lists) can use it without importing upward.
"""

import io
import zipfile

from django.conf import settings


class ArchiveRefused(ValueError):
    """The archive is too large unpacked, has too many parts, or is not a zip at all."""


def check_archive(data: bytes) -> None:
    """Refuse ``data`` (a .docx or .xlsx) whose parts are too many or too large unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        message = f"the file is damaged or not a Word or Excel file ({error})"
        raise ArchiveRefused(message) from error
    max_entries = settings.ARCHIVE_MAX_ENTRIES
    if len(entries) > max_entries:
        raise ArchiveRefused(
            f"it holds {len(entries)} parts; at most {max_entries} are accepted "
            "(ARCHIVE_MAX_ENTRIES)"
        )
    max_mb = settings.ARCHIVE_MAX_UNCOMPRESSED_MB
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > max_mb * 1024 * 1024:
        raise ArchiveRefused(
            f"it unpacks to {unpacked / (1024 * 1024):.1f} MB; at most {max_mb} MB is accepted "
            "(ARCHIVE_MAX_UNCOMPRESSED_MB)"
        )
