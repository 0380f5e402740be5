"""Putting evidence files into storage and taking them out again.

Files go through Django's storage API (`default_storage`), so a deployment may swap the local
disk for an object store. They are stored under generated names that say nothing about the
learner or the file; the name the learner gave is kept, cleaned, only for display.
"""

import contextlib
import hashlib
import logging
import os
import time
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.files import File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
MAX_NAME_LENGTH = 200
STORAGE_PREFIX = "evidence"


def clean_display_name(raw: str | None) -> str:
    """The file's own name without folders, control or invisible characters, or leading dots.

    It is only ever shown (and offered as the download name); storage never sees it.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Categories C* are control, format (bidi overrides that disguise `exe.pdf`), surrogate,
    # private-use and unassigned characters.
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or not unicodedata.category(ch).startswith("C")
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip()}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name or "file"


def new_storage_name() -> str:
    token = uuid.uuid4().hex
    return f"{STORAGE_PREFIX}/{token[:2]}/{token}"


class HashingFile(File):
    """Hands a file to the storage backend in chunks, hashing each chunk as it passes.

    It deliberately has no `temporary_file_path`, so FileSystemStorage copies it through
    `chunks()` instead of moving the temporary file, and the hash costs no second read.
    """

    def __init__(self, source):
        super().__init__(source)
        self.hasher = hashlib.sha256()
        self.bytes_read = 0
        source.seek(0)

    def _account(self, data: bytes) -> bytes:
        self.hasher.update(data)
        self.bytes_read += len(data)
        return data

    def chunks(self, chunk_size=None):
        self.file.seek(0)
        while data := self.file.read(chunk_size or CHUNK_SIZE):
            yield self._account(data)

    def read(self, *args):
        # Object-store backends read instead of asking for chunks.
        return self._account(self.file.read(*args))

    def multiple_chunks(self, chunk_size=None):
        return True


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int


def store_upload(upload) -> StoredFile:
    """Copy an upload into storage under a new name with its SHA-256; to local disk in one
    pass, hashed on the way.

    An object store is handed the upload itself, so that it sends an upload on disk from its
    path, each multipart part read from the file instead of from memory (and because boto3
    reads a file object more than once, which a hash on the way would count twice). The
    upload is hashed first, a read of the local disk, and the stored size checked afterwards.
    """
    source = HashingFile(upload)
    if getattr(default_storage, "sends_from_path", False):
        for _ in source.chunks():
            pass
        upload.seek(0)
        name = default_storage.save(new_storage_name(), upload)
        stored_size = default_storage.size(name)
    else:
        name = default_storage.save(new_storage_name(), source)
        stored_size = source.bytes_read
    if source.bytes_read != upload.size or stored_size != upload.size:
        # The copy and the upload disagree: keep nothing rather than a half file.
        delete_stored([name])
        raise OSError(f"Stored {stored_size} bytes of {upload.size}.")
    return StoredFile(name=name, sha256=source.hasher.hexdigest(), size=source.bytes_read)


def open_stored(name: str):
    """The stored file, open for reading; from an object store it streams as it is read."""
    if hasattr(default_storage, "open_stream"):
        return default_storage.open_stream(name)
    return default_storage.open(name, "rb")


def open_stored_range(name: str, first: int, last: int):
    """Bytes `first` to `last` (inclusive) of the stored file, as chunks; from an object store
    only those bytes are fetched. FileNotFoundError when the file is gone."""
    if hasattr(default_storage, "open_stream"):
        body = default_storage.open_stream(name, byte_range=(first, last))
        return _chunks(body, last - first + 1)
    handle = default_storage.open(name, "rb")
    handle.seek(first)
    return _chunks(handle, last - first + 1)


def _chunks(handle, length: int, size: int = 64 * 1024):
    with contextlib.closing(handle):
        while length > 0:
            data = handle.read(min(size, length))
            if not data:
                return
            length -= len(data)
            yield data


def stored_size(name: str) -> int:
    """The stored file's size in bytes; FileNotFoundError when it is gone."""
    if hasattr(default_storage, "object_size"):
        return default_storage.object_size(name)
    try:
        return default_storage.size(name)
    except OSError as exc:  # local disk
        raise FileNotFoundError(name) from exc


def read_recent(name: str, *, fresh_for: timedelta) -> bytes:
    """A small stored file whole, marked as used (its modified time moved to now, when older
    than `fresh_for`) so that a prune by age keeps it. FileNotFoundError when it is gone."""
    if hasattr(default_storage, "read_recent"):
        return default_storage.read_recent(name, fresh_for=fresh_for)
    with default_storage.open(name, "rb") as file:
        data = file.read()
    with contextlib.suppress(NotImplementedError, OSError):
        path = default_storage.path(name)
        if time.time() - os.stat(path).st_mtime > fresh_for.total_seconds():
            os.utime(path)
    return data


def delete_stored(names: Iterable[str]) -> None:
    """Remove files from storage; a file already gone is not an error."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not delete stored evidence file %s", name)


def stored_names() -> set[str]:
    """Every evidence file name in storage (walks the two-level folder layout)."""
    names = set()
    try:
        # Not `exists()`: an object store has no folders, only names that share a prefix.
        folders, _ = default_storage.listdir(STORAGE_PREFIX)
    except FileNotFoundError:
        return names
    for folder in folders:
        _, files = default_storage.listdir(f"{STORAGE_PREFIX}/{folder}")
        names.update(f"{STORAGE_PREFIX}/{folder}/{file}" for file in files)
    return names
