"""Refusing an evidence upload that is too large before its body is read.

A browser declares the size of a form post in `Content-Length` before it sends the body. When
that size is already more than the most a form may carry (EVIDENCE_MAX_FILES_PER_POST files of
EVIDENCE_MAX_FILE_MB each, plus room for the form's own fields), the request is answered with
413 at once: the learner hears the limit in seconds instead of after minutes of uploading, and
the server reads and stores none of it. A post without a declared length (chunked) is checked
file by file as it arrives, as before.

It runs as a middleware, not in the view, because CSRF protection reads the form (and so the
whole body) before any view is called.
"""

from django.conf import settings
from django.shortcuts import render
from django.urls import Resolver404, resolve

from portfolios.validators import max_file_bytes, max_files_per_post

# Room for the form's own fields and the multipart framing around each file.
FORM_OVERHEAD_BYTES = 1024 * 1024

UPLOAD_URL_NAMES = frozenset({"evidence_create", "evidence_update"})


def max_post_bytes() -> int:
    return max_files_per_post() * max_file_bytes() + FORM_OVERHEAD_BYTES


def declared_length(request) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def too_large_response(request, message: str):
    """The product's refusal page (the one the upload script shows in place of its form)."""
    # No `Connection: close` of ours: it is the server's to send (a WSGI application may not
    # set hop-by-hop headers; Python's own WSGI server, under runserver, refuses the response).
    # gunicorn's workers close the connection after each request anyway.
    return render(request, "400.html", {"limit": message}, status=413)


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and self._is_upload(request.path_info):
            length = declared_length(request)
            if length is not None and length > max_post_bytes():
                return too_large_response(
                    request,
                    f"The upload declared {length / 1024 / 1024:.0f} MB; at most "
                    f"{max_files_per_post()} files of {settings.EVIDENCE_MAX_FILE_MB} MB each "
                    "can be sent at once, so it was refused before it was sent.",
                )
        return self.get_response(request)

    @staticmethod
    def _is_upload(path: str) -> bool:
        try:
            return resolve(path).url_name in UPLOAD_URL_NAMES
        except Resolver404:
            return False
