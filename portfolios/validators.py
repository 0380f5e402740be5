"""Checks on uploaded evidence files, shared by the forms and the services.

A file's type is found from its content (libmagic), never from its name or the browser's
claim, and its extension must be one that type is known by: an HTML page named `.pdf` or a
program named `.docx` is refused. The allow-list is deliberately short; a centre that needs
another format asks for it to be added here.
"""

import os
import threading
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat

# Detected type → the extensions a file of that type may carry.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    # Documents
    "application/pdf": frozenset({"pdf"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset({"docx"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset({"xlsx"}),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": frozenset(
        {"pptx"}
    ),
    "application/vnd.oasis.opendocument.text": frozenset({"odt"}),
    "application/vnd.oasis.opendocument.spreadsheet": frozenset({"ods"}),
    "application/vnd.oasis.opendocument.presentation": frozenset({"odp"}),
    "application/msword": frozenset({"doc"}),
    "application/vnd.ms-excel": frozenset({"xls"}),
    # libmagic names some older Word and Excel files only by their container format.
    "application/cdfv2": frozenset({"doc", "xls"}),
    "application/x-ole-storage": frozenset({"doc", "xls"}),
    "text/plain": frozenset({"txt", "text", "csv"}),
    "text/csv": frozenset({"csv", "txt"}),
    "text/rtf": frozenset({"rtf"}),
    "application/rtf": frozenset({"rtf"}),
    # Images
    "image/jpeg": frozenset({"jpg", "jpeg"}),
    "image/png": frozenset({"png"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "image/heic": frozenset({"heic", "heif"}),
    "image/heif": frozenset({"heic", "heif"}),
    # Audio
    "audio/mpeg": frozenset({"mp3"}),
    "audio/x-m4a": frozenset({"m4a"}),
    "audio/mp4": frozenset({"m4a"}),
    "audio/x-wav": frozenset({"wav"}),
    "audio/wav": frozenset({"wav"}),
    "audio/vnd.wave": frozenset({"wav"}),
    "audio/ogg": frozenset({"ogg", "oga"}),
    # Video
    "video/mp4": frozenset({"mp4", "m4v"}),
    "video/quicktime": frozenset({"mov"}),
    "video/webm": frozenset({"webm"}),
}

# Types a browser shows safely inside the page; the rest are download-only.
PREVIEW_KINDS: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "image",
    "image/png": "image",
    "image/gif": "image",
    "image/webp": "image",
    "audio/mpeg": "audio",
    "audio/x-m4a": "audio",
    "audio/mp4": "audio",
    "audio/x-wav": "audio",
    "audio/wav": "audio",
    "audio/vnd.wave": "audio",
    "audio/ogg": "audio",
    "video/mp4": "video",
    "video/webm": "video",
    "video/quicktime": "video",
}

ACCEPT_ATTRIBUTE = ",".join(sorted({f".{ext}" for exts in ALLOWED_TYPES.values() for ext in exts}))

# libmagic reads at most this much of a file that is not on disk.
_SNIFF_BYTES = 1024 * 1024
# python-magic's handle is not safe to share between threads without a lock.
_magic_lock = threading.Lock()
_magic = None


# The longest file name any upload may carry: the name columns (EvidenceFile.name,
# IntakeUpload.file_name) and most file systems hold 255 characters.
MAX_UPLOAD_NAME_LENGTH = 255


class FileNameTooLong(SuspiciousOperation):
    """A file in the request is named longer than MAX_UPLOAD_NAME_LENGTH; answered with 400."""


class NameCheckingUploadHandler(TemporaryFileUploadHandler):
    """Django's handler that streams every upload to a temporary file, minding file names.

    Django names the temporary file after the upload's extension (everything after the last
    dot), so a name like "report.<300 letters>" made the operating system refuse the temporary
    file and the request end in a 500. Here a name longer than MAX_UPLOAD_NAME_LENGTH is
    refused with the product's 400 page, which names the limit, and the temporary file never
    carries more than a short extension.
    """

    def new_file(self, field_name, file_name, *args, **kwargs):
        if len(file_name) > MAX_UPLOAD_NAME_LENGTH:
            raise FileNameTooLong(
                f"A file name of {len(file_name)} characters was sent; the limit is "
                f"{MAX_UPLOAD_NAME_LENGTH}."
            )
        FileUploadHandler.new_file(self, field_name, file_name, *args, **kwargs)
        extension = os.path.splitext(file_name)[1]
        self.file = TemporaryUploadedFile(
            "upload" + extension[:16], self.content_type, 0, self.charset, self.content_type_extra
        )
        self.file.name = file_name


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int


def max_file_bytes() -> int:
    return settings.EVIDENCE_MAX_FILE_MB * 1024 * 1024


def max_files_per_post() -> int:
    return settings.EVIDENCE_MAX_FILES_PER_POST


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def detect_content_type(upload) -> str:
    """The file's type as libmagic finds it from the bytes (lower case)."""
    global _magic
    with _magic_lock:
        if _magic is None:
            _magic = magic.Magic(mime=True)
        path = getattr(upload, "temporary_file_path", None)
        if path is not None:
            detected = _magic.from_file(path())
        else:
            upload.seek(0)
            detected = _magic.from_buffer(upload.read(_SNIFF_BYTES))
            upload.seek(0)
    return detected.lower()


def validate_upload_count(files) -> None:
    limit = max_files_per_post()
    if len(files) > limit:
        raise ValidationError(
            f"You sent {len(files)} files; at most {limit} can be added at once. "
            "Add the rest in a second step.",
            code="too_many_files",
        )


def validate_evidence_file(upload, *, display_name: str) -> CheckedFile:
    """Refuse an empty, oversized or disallowed file; say which file and why."""
    size = upload.size
    if not size:
        raise ValidationError(f"{display_name} is empty.", code="empty")
    if size > max_file_bytes():
        raise ValidationError(
            f"{display_name} is {filesizeformat(size)}; the limit is "
            f"{settings.EVIDENCE_MAX_FILE_MB} MB a file.",
            code="too_large",
        )
    extension = extension_of(display_name)
    detected = detect_content_type(upload)
    allowed_extensions = ALLOWED_TYPES.get(detected)
    if allowed_extensions is None:
        raise ValidationError(
            f"{display_name} is not a kind of file evidence can be ({detected}). Use a document "
            "(PDF, Word, Excel, PowerPoint, OpenDocument, text, RTF), an image, audio or video.",
            code="type_not_allowed",
        )
    if extension not in allowed_extensions:
        expected = ", ".join(f".{e}" for e in sorted(allowed_extensions))
        raise ValidationError(
            f"{display_name} does not contain what its name says: its content is {detected}, "
            f"which is named {expected}.",
            code="extension_mismatch",
        )
    return CheckedFile(content_type=detected, extension=extension, size=size)
