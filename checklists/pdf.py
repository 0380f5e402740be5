"""Printing a checklist: one `ChecklistDocument` in, the bytes of an A4 PDF out.

WeasyPrint is imported inside the function so that the rest of the site (and its tests) load
without Pango. Every fetch WeasyPrint would make goes through `StaticOnlyFetcher`; the stylesheet
is handed over as a string, and the fonts are the system's, embedded as subsets.
"""

import gc
from contextlib import contextmanager

from django.conf import settings
from django.template.loader import render_to_string

from checklists.data import ChecklistDocument
from checklists.enums import Layout

TEMPLATES = {
    Layout.UNIT_ASSESSMENT: "pdf/assessment.html",
    Layout.ACHIEVEMENT: "pdf/achievement.html",
    Layout.OUTCOME_RECORD: "pdf/record.html",
}
STYLESHEET = "pdf/checklist.css"


def checklist_html(document: ChecklistDocument) -> str:
    """The HTML WeasyPrint lays out; people's text in it is escaped by Django's autoescape."""
    return render_to_string(
        TEMPLATES[document.layout], {"doc": document, "site_name": settings.SITE_NAME}
    )


@contextmanager
def _cyclic_gc_paused():
    """Pause Python's cycle collector while WeasyPrint lays out.

    Layout makes millions of short-lived objects, and the collector's full passes over them
    took about 40% of the time of a 40-page diploma, for no saving in peak memory (measured
    in bench/checklists.py). Reference counting still frees everything as usual meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_checklist(document: ChecklistDocument, *, url_fetcher=None) -> bytes:
    """The document as a PDF. `url_fetcher` lets tests watch what WeasyPrint asks for."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from checklists.fetcher import PRINT_ORIGIN, StaticOnlyFetcher

    fetcher = url_fetcher or StaticOnlyFetcher()
    base_url = f"{PRINT_ORIGIN}/"
    source = checklist_html(document)
    with _cyclic_gc_paused():
        font_config = FontConfiguration()
        stylesheet = CSS(
            string=render_to_string(STYLESHEET),
            base_url=base_url,
            url_fetcher=fetcher,
            font_config=font_config,
        )
        html = HTML(string=source, base_url=base_url, url_fetcher=fetcher)
        return html.write_pdf(stylesheets=[stylesheet], font_config=font_config)
