"""Sending a stored file to someone whose access the view has already checked.

From local disk, or from an object store with `STORAGE_DOWNLOADS=stream`, the file streams
through the app. From an object store with `STORAGE_DOWNLOADS=redirect`, a download is a
redirect to a signed link of the store's that names the file and its type and expires within
`STORAGE_LINK_SECONDS` (at most a minute): the app's worker is free at once, and a link copied
from the browser is dead a minute later. Previews always stream: our pages frame them, under
our Content-Security-Policy, which a page from the store's origin would not carry.

Streamed responses answer a single HTTP Range (`bytes=first-last`, `bytes=first-`,
`bytes=-suffix`), so a long video can be sought without fetching what comes before: 206 with
only those bytes (from an object store, only those bytes are fetched from it), or 416 when the
range lies outside the file. Several ranges at once, or an `If-Range` (we send no validator to
match), get the whole file, as the HTTP standard allows.
"""

import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import StreamingHttpResponse
from django.utils.http import content_disposition_header

from portfolios.uploads import open_stored, open_stored_range, stored_size

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def requested_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte of a single satisfiable range; None for no usable range (send the
    whole file); False for a range outside the file (416)."""
    match = _RANGE.match((header or "").strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            return False
        return max(size - suffix, 0), size - 1
    first = int(first)
    last = size - 1 if last == "" else min(int(last), size - 1)
    if first >= size or last < first:
        return False
    return first, last


def stored_file_response(
    name: str,
    *,
    filename: str,
    content_type: str,
    as_attachment: bool = True,
    request_headers=None,
):
    """The response that hands over stored file `name` (only the bytes of the request's
    Range, when `request_headers` name a single range and no If-Range); 404 when the store
    has lost it."""
    if (
        as_attachment
        and settings.STORAGE_DOWNLOADS == "redirect"
        and hasattr(default_storage, "download_url")
    ):
        if not default_storage.exists(name):
            raise Http404("The file is missing from storage.")
        return HttpResponseRedirect(
            default_storage.download_url(name, filename=filename, content_type=content_type)
        )
    headers = request_headers or {}
    if headers.get("Range") and "If-Range" not in headers:
        partial = _partial_response(
            name,
            headers["Range"],
            filename=filename,
            content_type=content_type,
            as_attachment=as_attachment,
        )
        if partial is not None:
            return partial
    try:
        handle = open_stored(name)
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    if "Content-Length" not in response and getattr(handle, "size", None) is not None:
        # A store's streaming body cannot seek, which is how FileResponse finds the length.
        response["Content-Length"] = handle.size
    response["Accept-Ranges"] = "bytes"
    return response


def _partial_response(name, range_header, *, filename, content_type, as_attachment):
    """206 with the bytes asked for, 416 for a range outside the file, or None (no usable
    range: the caller sends the whole file)."""
    try:
        size = stored_size(name)
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    wanted = requested_range(range_header, size)
    if wanted is None:
        return None
    if wanted is False:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    first, last = wanted
    try:
        chunks = open_stored_range(name, first, last)
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = StreamingHttpResponse(chunks, status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    return response
