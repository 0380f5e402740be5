"""The only way WeasyPrint may load anything while it prints a checklist.

A checklist is made of our own templates and of text people typed (evidence titles, comments).
Django escapes that text, so no tag of theirs reaches WeasyPrint; this fetcher is the second
wall: whatever URL WeasyPrint is asked to load (an image, a stylesheet, a font), it answers only
for the project's own static files under `PRINT_ORIGIN/static/`, read from disk by the staticfiles
finders. Everything else — file://, http(s) anywhere else, data:, ftp:, paths that climb out of
the static folders — is refused without any network or file access, so there is nothing to
redirect either. Every URL asked for is recorded, so tests can prove what was (not) fetched.
"""

import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

# The base URL the checklist HTML is rendered with. `.invalid` can never resolve (RFC 2606), so
# even a bug that let a URL past this fetcher could not reach a real host.
PRINT_ORIGIN = "https://print.invalid"

# What a checklist may embed from the static folders.
ALLOWED_TYPES = frozenset({"text/css", "image/png", "image/jpeg", "image/svg+xml"})


class FetchRefused(ValueError):
    """WeasyPrint asked for something a checklist may not load."""


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the project's static files and refuses the rest."""

    def __init__(self):
        # No protocol and no redirects for the parent's urllib machinery, which `fetch` below
        # never reaches anyway.
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.requested: list[str] = []
        self.served: list[str] = []

    @property
    def refused(self) -> list[str]:
        return [url for url in self.requested if url not in self.served]

    def fetch(self, url, headers=None):
        self.requested.append(url)
        path = self.static_path(url)
        content_type = mimetypes.guess_type(path)[0] or ""
        if content_type not in ALLOWED_TYPES:
            raise FetchRefused(f"Checklists may not embed {content_type or 'this'}: {url}")
        found = finders.find(path)
        if not found:
            raise FetchRefused(f"No such static file: {url}")
        with open(found, "rb") as file:
            body = file.read()
        self.served.append(url)
        return URLFetcherResponse(url, body, headers={"Content-Type": content_type})

    @staticmethod
    def static_path(url: str) -> str:
        """The static file's relative path, or FetchRefused for any URL that is not one."""
        prefix = f"{PRINT_ORIGIN}/{settings.STATIC_URL.strip('/')}/"
        if not url.startswith(prefix):
            raise FetchRefused(f"Checklists load nothing from outside the project: {url}")
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise FetchRefused(f"No queries or fragments: {url}")
        relative = unquote(url[len(prefix) :])
        normal = posixpath.normpath(relative)
        if (
            not relative
            or normal != relative
            or normal.startswith(("/", "../"))
            or normal == ".."
            or "\\" in relative
            or "\x00" in relative
        ):
            raise FetchRefused(f"Not a plain static path: {url}")
        return normal
