"""Sending a stored file to someone whose access the view has already checked.

From local disk, or from an object store with `STORAGE_DOWNLOADS=stream`, the file streams
through the app. From an object store with `STORAGE_DOWNLOADS=redirect`, a download is a
redirect to a signed link of the store's that names the file and its type and expires within
`STORAGE_LINK_SECONDS` (at most a minute): the app's worker is free at once, and a link copied
from the browser is dead a minute later. Previews always stream: our pages frame them, under
our Content-Security-Policy, which a page from the store's origin would not carry.
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect

from portfolios.uploads import open_stored


def stored_file_response(
    name: str, *, filename: str, content_type: str, as_attachment: bool = True
):
    """The response that hands over stored file `name`; 404 when the store has lost it."""
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
    return response
