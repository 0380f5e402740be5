"""The checklist templates' output read by the XML parser, and styled by the checklists' own
user-agent stylesheet, prints what WeasyPrint's HTML parser and stylesheet print.

`checklists.markup` hands WeasyPrint a tree read by Python's XML parser instead of tinyhtml5,
and `templates/pdf/ua.css` instead of WeasyPrint's whole user-agent stylesheet (together about
a tenth of a diploma's print). These tests hold it to that: for every layout, blank and filled
with the text that tests markup (ampersands, angle brackets, quotes, line breaks in feedback
and comments, graded bands), the two trees are the same element for element, attribute for
attribute and text for text (only whitespace between tags may differ, which lays out the
same), every element is one `ua.css` styles, and the pages printed both ways are the same
pixel for pixel. Text that XML refuses goes to WeasyPrint's own parser.
"""

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from checklists.data import (
    ChecklistDocument,
    CriterionRow,
    EvidenceItem,
    OutcomeBlock,
    Signature,
    UnitBlock,
)
from checklists.enums import Layout
from checklists.markup import UA_ELEMENTS, template_html
from checklists.pdf import checklist_html, render_checklist
from tests.checklists.helpers import squash

SIGNED = datetime.datetime(2026, 6, 1, 13, 5, tzinfo=datetime.UTC)
TRICKY = "Tom & Jerry’s <b>bold</b> \"quoted\" 'single' > 3 & < 4 &amp; &#x27;"


def _document(
    layout: Layout, *, filled: bool, with_extras: bool = False, more_rows: int = 0
) -> ChecklistDocument:
    rows = [
        CriterionRow(number="1.1", text=f"Explain {TRICKY}"),
        CriterionRow(number="P1", text="Describe the pass criterion", band="Pass"),
        CriterionRow(number="M1", text="Analyse the merit criterion", band="Merit"),
        *(
            CriterionRow(number=f"1.{n}", text=f"Show how part {n} of the task is done")
            for n in range(2, 2 + more_rows)
        ),
    ]
    if filled:
        for day, row in enumerate(rows, start=1):
            row.evidence = [
                EvidenceItem(
                    reference=f"E00{day}",
                    title=f"Witness statement {TRICKY}",
                    method="Witness & testimony",
                    date=datetime.date(2026, 2, 1) + datetime.timedelta(days=day),
                    submitted_on=datetime.date(2026, 3, 1) + datetime.timedelta(days=day),
                ),
                EvidenceItem(
                    reference="E010",
                    title="Second item",
                    method="Observation",
                    date=datetime.date(2026, 2, 9),
                ),
            ]
            row.decision = "met" if day % 2 else "not_yet_met"
            row.decided_on = datetime.date(2026, 4, 1) + datetime.timedelta(days=day)
            row.feedback = f"First line {TRICKY}\nSecond line\n\nAfter a blank line"
    unit = UnitBlock(
        code="A/100/0001",
        title=f"Serve {TRICKY}",
        version=2,
        is_mandatory=True,
        is_graded=True,
        grade="Pass" if filled else "",
        grade_needs="Merit needs M1" if filled else "",
        outcomes=[OutcomeBlock(number="1", title=f"Understand {TRICKY}", rows=rows)],
        opens_document=True,
    )
    if filled:
        unit.tutor = Signature(
            name="Bob O'Baker", signed_at=SIGNED, comment=f"All met.\n{TRICKY}", outcome="Agreed"
        )
        unit.learner = Signature(name="Alice <Archer>", signed_at=SIGNED, comment="Thanks\nBye")
        unit.internal_moderator = Signature(
            name="Ivy & Co", signed_at=SIGNED, comment="Sampled.", outcome="Referred back"
        )
    return ChecklistDocument(
        layout=layout,
        units=[unit],
        qualification_number="600/0001/1",
        qualification_title=f"Diploma in {TRICKY}",
        qualification_version=1,
        centre_name="Alpha & Omega College" if filled else "",
        learner_name="Alice <Archer>" if filled else "",
        is_blank=not filled,
        with_extras=with_extras,
    )


def _shape(element) -> tuple:
    """An element as a comparable tuple; whitespace-only text between tags counts as none."""

    def text(value):
        return "" if value is None or not value.strip() else value

    return (
        element.tag,
        sorted(element.attrib.items()),
        text(element.text),
        [_shape(child) for child in element],
        text(element.tail),
    )


CASES = [
    pytest.param(layout, filled, extras, id=f"{layout.value}-{kind}{'-extras' if extras else ''}")
    for layout in Layout
    for filled, kind in ((False, "blank"), (True, "filled"))
    for extras in ((False, True) if layout == Layout.UNIT_ASSESSMENT else (False,))
]


@pytest.mark.parametrize(("layout", "filled", "extras"), CASES)
def test_the_xml_parser_builds_the_tree_weasyprints_html_parser_builds(layout, filled, extras):
    from weasyprint import HTML

    from checklists.markup import xml_tree

    source = checklist_html(_document(layout, filled=filled, with_extras=extras), 0)
    if filled and layout == Layout.ACHIEVEMENT:
        assert "<br>" in source  # linebreaksbr's spelling, in feedback and comments

    ours = xml_tree(source)

    assert ours is not None
    theirs = HTML(string=source).etree_element
    assert _shape(ours) == _shape(theirs)
    # The text that matters arrives decoded, not as markup.
    assert "Tom & Jerry’s <b>bold</b>" in "".join(ours.itertext())
    assert ours.find(".//b") is None
    assert {element.tag for element in ours.iter()} <= UA_ELEMENTS


def _pages(pdf: bytes, folder: Path, name: str) -> list[Image.Image]:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [shutil.which("pdftoppm"), "-r", "50", "-gray", "-png", str(path), str(folder / name)],
        check=True,
    )
    return [Image.open(page).convert("L") for page in sorted(folder.glob(f"{name}-*.png"))]


@pytest.mark.parametrize(("layout", "filled", "extras"), CASES)
def test_each_layout_prints_the_same_pages_as_with_weasyprints_parser_and_stylesheet(
    layout, filled, extras, tmp_path
):
    from weasyprint import HTML

    from checklists.markup import _ParsedHTML
    from checklists.pdf import _Renderer

    # Enough rows for a page break inside the table and the sign-off blocks kept with the end.
    source = checklist_html(_document(layout, filled=filled, with_extras=extras, more_rows=30), 0)
    renderer = _Renderer({"pdf_tags": True})
    ours = renderer.pdf(source)
    theirs = HTML(
        string=source, base_url=renderer.base_url, url_fetcher=renderer.fetcher
    ).write_pdf(stylesheets=[renderer.stylesheet], font_config=renderer.font_config, pdf_tags=True)
    assert isinstance(
        template_html(
            source,
            base_url=renderer.base_url,
            url_fetcher=renderer.fetcher,
        ),
        _ParsedHTML,
    )

    our_pages, their_pages = _pages(ours, tmp_path, "ours"), _pages(theirs, tmp_path, "theirs")
    assert len(our_pages) == len(their_pages) >= 2
    for number, (mine, expected) in enumerate(zip(our_pages, their_pages, strict=True), 1):
        assert ImageChops.difference(mine, expected).getbbox() is None, f"page {number} differs"


def test_text_the_xml_parser_refuses_goes_to_weasyprints_own_parser(tmp_path):
    from weasyprint import HTML

    from checklists.markup import _ParsedHTML, xml_tree

    document = _document(Layout.ACHIEVEMENT, filled=True)
    # A vertical tab: HTML reads it, XML 1.0 forbids it.
    document.units[0].outcomes[0].rows[0].evidence[0] = EvidenceItem(
        reference="E001", title="Log\x0bbook of calls", method="Log", date=datetime.date(2026, 2, 1)
    )
    source = checklist_html(document, 0)

    assert xml_tree(source) is None
    html = template_html(source, base_url="https://print.invalid/", url_fetcher=None)
    assert type(html) is HTML
    assert not isinstance(html, _ParsedHTML)
    pdf = tmp_path / "unit.pdf"
    pdf.write_bytes(render_checklist(document))
    # poppler reads the text on past the tab's missing glyph, where pypdf loses the font.
    text = squash(
        subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
            [shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, check=True, text=True
        ).stdout
    )
    assert squash("Log book of calls") in text
    assert squash("Witness statement Tom & Jerry’s <b>bold</b>") in text


def test_a_well_formed_unit_goes_to_the_xml_parser():
    from checklists.markup import _ParsedHTML, user_agent_stylesheet

    source = checklist_html(_document(Layout.OUTCOME_RECORD, filled=True), 0)
    user_agent = user_agent_stylesheet()
    html = template_html(source, base_url="https://print.invalid/", url_fetcher=None)
    assert isinstance(html, _ParsedHTML)
    assert html.etree_element.get("lang") == "en-GB"
    assert html._ua_stylesheets() == [user_agent]


def test_an_entity_declaration_is_refused_and_read_as_html():
    """Never reachable from people's text (it arrives escaped), refused all the same."""
    from checklists.markup import xml_tree

    source = (
        '<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        "<html><body><p>&b;</p></body></html>"
    )
    assert xml_tree(source) is None
