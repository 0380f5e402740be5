"""Partial evidence uploads that survive a dropped connection (the tus 1.0 protocol, core and
creation): the store on the server's disk. The HTTP side is `portfolios/resumable_views.py`.

Why our own and not a library: `django-tus` (0.5.0, last released in 2020) is not kept up, keeps
uploads under MEDIA_ROOT, where they could be served, and knows nothing of which learner an
upload is for; the maintained tus servers for Python (tuspyserver) are for FastAPI. The part of
tus we need is small: create an upload of a declared length, report how much arrived, append
at that offset.

Behind a proxy that buffers request bodies (deploy/nginx/portal.conf) the app never sees a
piece cut off half way, only whole pieces; the browser's script sends 5 MB pieces, so a drop
costs at most one piece. Served directly, the bytes that arrived before the drop are kept.

An upload is a folder named by an unguessable token under RESUMABLE_UPLOAD_DIR (by default
`evidence-resumable` in FILE_UPLOAD_TEMP_DIR, never under MEDIA_ROOT, so never served):
`info.json` says who it is for and how long it will be, `data` holds the bytes received so
far; its size is the offset. When the last byte arrives the file is checked by the same
validators as a form upload (size, type found from the content) and either marked finished or
deleted with a message. Only a finished upload can be attached to evidence (the evidence form
posts its token), so a half file never becomes evidence. The folder is deleted when the
evidence is saved, and an abandoned one after RESUMABLE_UPLOAD_HOURS by
`manage.py purge_resumable_uploads`, which the task worker runs daily.
"""

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat

from portfolios.uploads import clean_display_name
from portfolios.validators import (
    MAX_UPLOAD_NAME_LENGTH,
    max_file_bytes,
    max_files_per_post,
    validate_evidence_file,
)

TOKEN_BYTES = 24
READ_SIZE = 256 * 1024


class UploadRefused(Exception):
    """An upload that cannot be created or continued; `status` is the HTTP answer."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class UploadInfo:
    token: str
    user_id: int
    enrolment_id: int
    length: int
    name: str
    created: float
    content_type: str = ""
    finished: bool = False


def root() -> Path:
    configured = getattr(settings, "RESUMABLE_UPLOAD_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()) / "evidence-resumable"


def _folder(token: str) -> Path | None:
    # Tokens are URL-safe base64; anything else (a path, dots) names no upload.
    if not token or not all(ch.isalnum() or ch in "-_" for ch in token):
        return None
    return root() / token


def _write_info(info: UploadInfo) -> None:
    folder = root() / info.token
    partial = folder / "info.json.new"
    partial.write_text(json.dumps(asdict(info)))
    partial.replace(folder / "info.json")


def _read_info(folder: Path) -> UploadInfo | None:
    try:
        return UploadInfo(**json.loads((folder / "info.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def open_uploads(user_id: int) -> list[UploadInfo]:
    base = root()
    if not base.is_dir():
        return []
    infos = (_read_info(folder) for folder in base.iterdir() if folder.is_dir())
    return [info for info in infos if info is not None and info.user_id == user_id]


def create(*, user_id: int, enrolment_id: int, length: int, name: str) -> UploadInfo:
    """A new, empty upload of `length` bytes; refused (413) over the per-file limit or when
    the person's unfinished uploads already reserve as much as one form may carry."""
    if len(name) > MAX_UPLOAD_NAME_LENGTH:
        raise UploadRefused(
            f"A file name of {len(name)} characters was sent; the limit is "
            f"{MAX_UPLOAD_NAME_LENGTH}.",
            status=400,
        )
    display = clean_display_name(name)
    if length > max_file_bytes():
        raise UploadRefused(
            f"{display} is {filesizeformat(length)}; the limit is "
            f"{settings.EVIDENCE_MAX_FILE_MB} MB a file.",
            status=413,
        )
    if length <= 0:
        raise UploadRefused(f"{display} is empty.", status=400)
    reserved = sum(info.length for info in open_uploads(user_id))
    if reserved + length > max_files_per_post() * max_file_bytes():
        raise UploadRefused(
            "Your unfinished uploads already take the space of one full form "
            f"({max_files_per_post()} files of {settings.EVIDENCE_MAX_FILE_MB} MB). "
            "Save that evidence first, or wait a day for the unfinished ones to be cleared.",
            status=413,
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = root() / token
    folder.mkdir(parents=True, mode=0o700)
    (folder / "data").touch(mode=0o600)
    info = UploadInfo(
        token=token,
        user_id=user_id,
        enrolment_id=enrolment_id,
        length=length,
        name=display,
        created=time.time(),
    )
    _write_info(info)
    return info


def find(token: str, *, user_id: int) -> UploadInfo | None:
    """The person's own upload with this token; None for anyone else's or none at all."""
    folder = _folder(token)
    info = _read_info(folder) if folder is not None else None
    if info is None or info.user_id != user_id:
        return None
    return info


def offset(info: UploadInfo) -> int:
    try:
        return (root() / info.token / "data").stat().st_size
    except FileNotFoundError:
        return 0


def append(info: UploadInfo, *, at: int, stream, declared: int | None) -> int:
    """Append the request body at offset `at` and return the new offset.

    Whatever arrives is kept, even when the connection drops before the declared length: the
    client asks for the offset (HEAD) and sends the rest from there. The offset must be the
    one the server has (409 otherwise), and nothing past the declared length is accepted.
    """
    if info.finished:
        raise UploadRefused("This upload is complete already.", status=403)
    path = root() / info.token / "data"
    with open(path, "ab") as data:
        # One writer at a time, so two tabs resuming the same upload cannot interleave.
        fcntl.flock(data, fcntl.LOCK_EX)
        current = data.seek(0, os.SEEK_END)
        if at != current:
            raise UploadRefused(
                f"The upload is at byte {current}, not {at}; ask for the offset and resume "
                "from there.",
                status=409,
            )
        room = info.length - current
        if declared is not None and declared > room:
            raise UploadRefused(
                f"{declared} bytes were sent where {room} remain of the declared length.",
                status=413,
            )
        while room > 0:
            try:
                chunk = stream.read(min(READ_SIZE, room))
            except OSError:
                break  # the connection dropped: keep what arrived
            if not chunk:
                break
            data.write(chunk)
            room -= len(chunk)
        data.flush()
        os.fsync(data.fileno())
        return data.tell()


class ResumedFile(File):
    """A finished upload, shaped like Django's uploaded file for the validators and storage."""

    def __init__(self, info: UploadInfo):
        self.path = root() / info.token / "data"
        super().__init__(open(self.path, "rb"), name=info.name)  # noqa: SIM115 (closed by storage or `close`)
        self.token = info.token
        self.content_type = info.content_type

    @property
    def size(self):
        return self.path.stat().st_size

    def temporary_file_path(self) -> str:
        return str(self.path)


def finish(info: UploadInfo) -> UploadInfo:
    """Check the whole file like any upload; mark it finished, or delete it and say why."""
    resumed = ResumedFile(info)
    try:
        checked = validate_evidence_file(resumed, display_name=info.name)
    except ValidationError as exc:
        resumed.close()
        discard([info.token])
        raise UploadRefused(" ".join(exc.messages), status=422) from exc
    resumed.close()
    info.content_type = checked.content_type
    info.finished = True
    _write_info(info)
    return info


def finished_file(token: str, *, user_id: int, enrolment_id: int) -> ResumedFile | None:
    """The finished upload with this token, for this person and enrolment; else None."""
    info = find(token, user_id=user_id)
    if info is None or not info.finished or info.enrolment_id != enrolment_id:
        return None
    return ResumedFile(info)


def discard(tokens) -> None:
    for token in tokens:
        folder = _folder(token)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def purge(*, older_than_seconds: float) -> int:
    """Delete uploads started longer ago than this; how many were deleted."""
    base = root()
    if not base.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    deleted = 0
    for folder in base.iterdir():
        with contextlib.suppress(OSError):
            # The last byte received, so an upload still being resumed is kept.
            data = folder / "data"
            last = data.stat().st_mtime if data.exists() else folder.stat().st_mtime
            if folder.is_dir() and last < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                deleted += 1
    return deleted
