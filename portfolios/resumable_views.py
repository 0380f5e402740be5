"""Resumable evidence uploads over HTTP: tus 1.0.0, core and creation (https://tus.io/protocols/resumable-upload).

    OPTIONS  /portfolios/<enrolment>/uploads/      Tus-Version, Tus-Extension, Tus-Max-Size
    POST     /portfolios/<enrolment>/uploads/      Upload-Length (and Upload-Metadata
             `filename <base64>`) -> 201, Location of the new upload
    HEAD     /portfolios/uploads/<token>/          -> Upload-Offset, Upload-Length
    PATCH    /portfolios/uploads/<token>/          Content-Type application/offset+octet-stream,
             Upload-Offset (must equal the server's; 409 otherwise) -> 204, new Upload-Offset

After a dropped connection the client sends HEAD and continues from the offset it is given.
The last PATCH checks the whole file (size, type from its content): 204 with `Upload-Complete:
1`, or 422 with the reason and the upload deleted. The evidence form then posts the token
(`uploaded`) instead of the file. Only the person who may add evidence to that enrolment may
create an upload, and only its creator may continue it; anyone else gets 404. The store is in
`portfolios/resumable.py`.
"""

import base64
import binascii

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portfolios import resumable, selectors
from portfolios.middleware import declared_length
from portfolios.validators import max_file_bytes

TUS_VERSION = "1.0.0"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


def _tus(response):
    response["Tus-Resumable"] = TUS_VERSION
    return response


def _refused(message: str, status: int):
    return _tus(JsonResponse({"error": message}, status=status))


def _header_int(request, name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isdigit() else None


def _filename(request) -> str:
    """The `filename` of Upload-Metadata: comma-separated `key base64value` pairs."""
    for pair in request.headers.get("Upload-Metadata", "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key == "filename":
            try:
                return base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return ""
    return ""


def _wrong_version(request):
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        response = _refused(f"This server speaks tus {TUS_VERSION}.", 412)
        response["Tus-Version"] = TUS_VERSION
        return response
    return None


@never_cache
@login_required
@require_http_methods(["OPTIONS", "POST"])
def upload_create(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="add_evidence")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = "creation"
        response["Tus-Max-Size"] = str(max_file_bytes())
        return _tus(response)
    length = _header_int(request, "Upload-Length")
    if length is None:
        return _refused("Upload-Length is required: the file's size in bytes.", 400)
    if refused := _wrong_version(request):
        return refused
    try:
        info = resumable.create(
            user_id=request.user.pk,
            enrolment_id=enrolment.pk,
            length=length,
            name=_filename(request),
        )
    except resumable.UploadRefused as exc:
        return _refused(exc.message, exc.status)
    response = HttpResponse(status=201)
    response["Location"] = reverse("resumable_upload", args=[info.token])
    response["Upload-Token"] = info.token
    return _tus(response)


@never_cache
@login_required
@require_http_methods(["HEAD", "PATCH"])
def upload_resume(request, token):
    info = resumable.find(token, user_id=request.user.pk)
    if info is None:
        raise Http404
    # Still allowed to add evidence there (a learner moved, a tutor reassigned)?
    selectors.get_enrolment_for_user(request.user, info.enrolment_id, action="add_evidence")
    if refused := _wrong_version(request):
        return refused
    if request.method == "HEAD":
        response = HttpResponse(status=200)
        response["Upload-Offset"] = str(resumable.offset(info))
        response["Upload-Length"] = str(info.length)
        return _tus(response)
    if request.content_type != OFFSET_CONTENT_TYPE:
        return _refused(f"Send the bytes as {OFFSET_CONTENT_TYPE}.", 415)
    at = _header_int(request, "Upload-Offset")
    if at is None:
        return _refused("Upload-Offset is required.", 400)
    try:
        new_offset = resumable.append(
            info, at=at, stream=request, declared=declared_length(request)
        )
        if new_offset == info.length:
            info = resumable.finish(info)
    except resumable.UploadRefused as exc:
        return _refused(exc.message, exc.status)
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(new_offset)
    if info.finished:
        response["Upload-Complete"] = "1"
    return _tus(response)
