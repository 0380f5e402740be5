"""Printing a checklist: a `ChecklistDocument` in, the bytes of A4 PDFs out.

Each unit is laid out as a document of its own, so its pages count from one ("Page 1 of 2"
within the unit, as centres photocopy one unit at a time) and each unit's PDF can be cached and
served alone. The units missing from the cache are rendered by this process and forked
workers, one process per core: each parses the stylesheet once and shares one font
configuration across the units it lays out, so 39 units do not pay 39 times for starting up,
and takes the next unit as soon as it is free, so the cores finish together. The unit PDFs
are then merged with pikepdf, which stamps the document's own page numbers in the bottom margin.

Single-unit PDFs are tagged (PDF/UA structure: headings, tables with header cells), so a screen
reader reads a table as a table. The merge does not join structure trees, so a merged print of
several units is not tagged: the tagged units are offered one by one beside it (see README).
`render_checklist_archival` writes PDF/A for the EQA bundle and the portable export.

WeasyPrint is imported inside the functions so that the rest of the site (and its tests) load
without Pango. Every fetch WeasyPrint would make goes through `StaticOnlyFetcher`; the stylesheet
is handed over as a string, and the fonts are the system's, embedded as subsets.
"""

import gc
import os
import pickle
import selectors
import struct
import traceback
from contextlib import ExitStack, contextmanager
from io import BytesIO

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
ARCHIVAL_VARIANT = "pdf/a-3b"
# Below this many criteria in all, starting worker processes costs more than it saves.
PARALLEL_MIN_CRITERIA = 40


def checklist_html(document: ChecklistDocument, index: int) -> str:
    """The HTML of unit `index`; people's text in it is escaped by Django's autoescape."""
    return render_to_string(
        TEMPLATES[document.layout],
        {
            "doc": document,
            "unit": document.units[index],
            "title": document.single(index).title,
            "form_title": document.form_title,
            "site_name": settings.SITE_NAME,
        },
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


class _Renderer:
    """WeasyPrint set up once per process: the stylesheet parsed and one font configuration
    shared by every unit the process lays out."""

    def __init__(self, options: dict, url_fetcher=None):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from checklists.fetcher import PRINT_ORIGIN, StaticOnlyFetcher

        self.options = options
        self.fetcher = url_fetcher or StaticOnlyFetcher()
        self.base_url = f"{PRINT_ORIGIN}/"
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            string=render_to_string(STYLESHEET),
            base_url=self.base_url,
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )

    def pdf(self, source: str) -> bytes:
        from checklists.markup import template_html

        html = template_html(source, base_url=self.base_url, url_fetcher=self.fetcher)
        return html.write_pdf(
            stylesheets=[self.stylesheet], font_config=self.font_config, **self.options
        )


# A job number as the workers read it from the shared pipe: four bytes, fewer than PIPE_BUF, so
# each read takes one whole number and no two workers take the same one. Every number is
# written before the workers start, so a pass holds at most a pipe's buffer (64 KiB) of them.
_JOB = struct.Struct("=I")
MAX_FORKED_JOBS = 4096


def _worker(jobs: list[tuple[ChecklistDocument, int]], options: dict, todo: int, out: int) -> None:
    """A forked worker: WeasyPrint set up once, then the next job number from `todo` until
    there is none, and every PDF (or the error) pickled to `out` at the end. Never returns."""
    status = 1
    try:
        gc.disable()  # see _cyclic_gc_paused: the worker only lays out
        pdfs: dict[int, bytes] = {}
        try:
            renderer = _Renderer(options)
            while number := os.read(todo, _JOB.size):
                (number,) = _JOB.unpack(number)
                pdfs[number] = renderer.pdf(checklist_html(*jobs[number]))
            result: object = pdfs
            status = 0
        except BaseException:  # noqa: BLE001 (whatever it is, the parent raises it)
            result = RuntimeError(traceback.format_exc())
        with os.fdopen(out, "wb") as pipe:
            pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        # No atexit handlers, no database connection closed: this process only printed.
        os._exit(status)


def _render_forked(
    jobs: list[tuple[ChecklistDocument, int]], options: dict, order: list[int], workers: int
) -> list[bytes]:
    """The jobs laid out by this process and `workers - 1` forked ones, each taking the next
    job number in `order` from one pipe as soon as it is free.

    Plain os.fork and pipes rather than a ProcessPoolExecutor, whose workers spent 0.35 to
    0.4 s more system time on a diploma (152,000 page faults against 99,000, for the same user
    time; see checklists/README.md). This process takes its share too, which saved another
    20,000 faults (0.1 s): its memory is its own already, where a forked worker pays a page
    fault for each page it first writes to. The
    workers inherit the loaded WeasyPrint, templates and documents (nothing is pickled on the
    way in) and never touch the database.
    """
    # Loaded here, before the fork, so that no worker imports it again.
    import weasyprint  # noqa: F401

    todo_read, todo_write = os.pipe()
    os.write(todo_write, b"".join(_JOB.pack(i) for i in order))  # 4 bytes a job: never blocks
    os.close(todo_write)  # the workers read to the end, then stop
    children: dict[int, int] = {}  # read end of its result pipe -> process id
    pdfs: dict[int, bytes] = {}
    try:
        for _ in range(workers - 1):
            out_read, out_write = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover (the child's coverage is not collected)
                os.close(out_read)
                for other in children:
                    os.close(other)
                _worker(jobs, options, todo_read, out_write)
            os.close(out_write)
            children[out_read] = pid
        with _cyclic_gc_paused():
            renderer = _Renderer(options)
            while number := os.read(todo_read, _JOB.size):
                (number,) = _JOB.unpack(number)
                pdfs[number] = renderer.pdf(checklist_html(*jobs[number]))
    finally:
        os.close(todo_read)
        # Whatever happened here, the workers are read to the end and waited for.
        results = _collect(children)
    errors = []
    for result in results:
        if isinstance(result, Exception):
            errors.append(result)
        else:
            pdfs.update(result)
    if errors:
        raise errors[0]
    return [pdfs[i] for i in range(len(jobs))]


def _collect(children: dict[int, int]) -> list[object]:
    """Each worker's result (its PDFs, or the error it met), read from its pipe as it comes,
    so that no worker waits on a full pipe, and the worker waited for."""
    received = {fd: bytearray() for fd in children}
    with selectors.DefaultSelector() as selector:
        for fd in children:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                chunk = os.read(key.fd, 1 << 16)
                if chunk:
                    received[key.fd] += chunk
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    results = []
    for fd, pid in children.items():
        _, status = os.waitpid(pid, 0)
        try:
            results.append(pickle.loads(received[fd]))  # noqa: S301 (our own worker's, by a private pipe)
        except Exception:  # noqa: BLE001 (killed before it wrote: the status says why)
            results.append(RuntimeError(f"a worker ended with status {status} and no result"))
    return results


def render_units(
    jobs: list[tuple[ChecklistDocument, int]],
    *,
    tagged: bool = True,
    variant: str | None = None,
    url_fetcher=None,
) -> list[bytes]:
    """The PDF of each (document, unit index), in the order asked: tagged, or untagged to be
    merged, or in a PDF `variant` such as PDF/A.

    Large jobs are rendered by this process and forked workers, one process per core: each
    sets WeasyPrint up once (stylesheet, fonts), then takes the next unit as soon as it is
    free, the largest units first, so the cores finish together however unevenly the units'
    text runs (halves fixed in advance by criteria counts left one core idle for up to a tenth
    of the time). A
    `url_fetcher` (tests watch what WeasyPrint asks for) keeps the work in this process, where
    the fetcher can record it.
    """
    options = {"pdf_variant": variant} if variant else {"pdf_tags": tagged}
    weights = [document.units[index].criteria_count for document, index in jobs]
    workers = min(len(os.sched_getaffinity(0)), len(jobs))
    if workers < 2 or sum(weights) < PARALLEL_MIN_CRITERIA or url_fetcher is not None:
        with _cyclic_gc_paused():
            renderer = _Renderer(options, url_fetcher)
            return [renderer.pdf(checklist_html(document, index)) for document, index in jobs]

    if len(jobs) > MAX_FORKED_JOBS:
        return render_units(jobs[:MAX_FORKED_JOBS], tagged=tagged, variant=variant) + render_units(
            jobs[MAX_FORKED_JOBS:], tagged=tagged, variant=variant
        )
    # The largest units first (+ 5 for the sign-off blocks): the last ones handed out are
    # small, so neither worker is left with a long unit while the other waits.
    order = sorted(range(len(jobs)), key=lambda i: -(weights[i] + 5))
    return _render_forked(jobs, options, order, workers)


def render_unit(document: ChecklistDocument, index: int, *, url_fetcher=None) -> bytes:
    """Unit `index` of the document alone, as a tagged PDF."""
    return render_units([(document, index)], url_fetcher=url_fetcher)[0]


def merge_pdfs(parts: list[tuple[str, bytes]], *, title: str, author: str = "") -> bytes:
    """Join the PDFs into one (a bookmark for each part with an outline text), its pages
    numbered in the bottom margin.

    Each part keeps its own "Page X of Y"; "Document page N of M" is stamped in the middle of
    the bottom margin, which the stylesheet leaves free, in the standard Helvetica (nothing to
    embed). Each part keeps its own font subsets: no PDF library joins subsets.

    pikepdf (qpdf) rather than pypdf: it merges a 39-unit diploma in about 0.03 s where pypdf
    took 0.14 to 0.28 s, a tenth of the whole cold print's wall time (bench/checklists.py).
    """
    import pikepdf

    with ExitStack() as open_files:
        merged = open_files.enter_context(pikepdf.Pdf.new())
        # The parts' streams are copied when the merged file is written: open till then.
        sources = [open_files.enter_context(pikepdf.Pdf.open(BytesIO(pdf))) for _, pdf in parts]
        with merged.open_outline() as outline:
            for (text, _), source in zip(parts, sources, strict=True):
                first = len(merged.pages)
                merged.pages.extend(source.pages)
                if text:
                    outline.root.append(pikepdf.OutlineItem(text, first))
        _stamp_page_numbers(merged)
        merged.docinfo[pikepdf.Name.Title] = title
        if author:
            merged.docinfo[pikepdf.Name.Author] = author
        merged.Root.Lang = pikepdf.String("en-GB")
        out = BytesIO()
        merged.save(out)
    return out.getvalue()


def _stamp_page_numbers(merged) -> None:
    """Stamp "Document page N of M" in the middle of each page's bottom margin."""
    import pikepdf

    font = merged.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    # The page's own content streams are left as they are: one shared "q" before them and a
    # stamp after a "Q", so that no graphics state the page leaves changes the stamp.
    save = merged.make_stream(b"q\n")
    total = len(merged.pages)
    for number, page in enumerate(merged.pages, start=1):
        text = f"Document page {number} of {total}"
        # Helvetica at 7 pt: digits are 0.556 em wide, these words about 0.5 em on average.
        digits = sum(c.isdigit() for c in text)
        width = 7 * (0.556 * digits + 0.5 * (len(text) - digits))
        x = (float(page.mediabox[2]) - float(page.mediabox[0]) - width) / 2
        page.add_resource(font, pikepdf.Name.Font, pikepdf.Name.DocPage, replace_existing=True)
        page.contents_add(save, prepend=True)
        # An artifact: the number belongs to this print, not to the form's content.
        page.contents_add(
            merged.make_stream(
                b"\nQ /Artifact BMC q 0.2 g BT /DocPage 7 Tf "
                + f"{x:.1f} 22 Td ({text}) Tj ET Q EMC".encode()
            )
        )


def render_checklist(document: ChecklistDocument, *, url_fetcher=None) -> bytes:
    """The whole document as one PDF: tagged when it is one unit, merged when several."""
    if len(document.units) == 1:
        return render_unit(document, 0, url_fetcher=url_fetcher)
    pdfs = render_units(
        [(document, i) for i in range(len(document.units))], tagged=False, url_fetcher=url_fetcher
    )
    return merge_pdfs(
        [
            (f"{unit.code} {unit.title}".strip(), pdf)
            for unit, pdf in zip(document.units, pdfs, strict=True)
        ],
        title=document.title,
        author=document.centre_name,
    )


def render_checklist_archival(document: ChecklistDocument) -> bytes:
    """The whole document as one PDF/A-3b file, for the EQA bundle and the portable export.

    Laid out unit by unit (each numbering its own pages) and written as one WeasyPrint
    document, so the archival file is a single conforming PDF/A with fonts embedded once; it
    carries no document page numbers (stamping them after WeasyPrint would break PDF/A).
    """
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from checklists.fetcher import PRINT_ORIGIN, StaticOnlyFetcher
    from checklists.markup import template_html

    fetcher = StaticOnlyFetcher()
    base_url = f"{PRINT_ORIGIN}/"
    options = {"pdf_variant": ARCHIVAL_VARIANT}
    with _cyclic_gc_paused():
        font_config = FontConfiguration()
        stylesheet = CSS(
            string=render_to_string(STYLESHEET),
            base_url=base_url,
            url_fetcher=fetcher,
            font_config=font_config,
        )
        rendered = [
            template_html(
                checklist_html(document, index), base_url=base_url, url_fetcher=fetcher
            ).render(stylesheets=[stylesheet], font_config=font_config, **options)
            for index in range(len(document.units))
        ]
        pages = [page for part in rendered for page in part.pages]
        whole = rendered[0].copy(pages)
        whole.metadata.title = document.title
        return whole.write_pdf(**options)
