"""Each layout, blank and filled, compared as pictures with the references in reference/.

The PDFs are rasterised with poppler's pdftoppm (grey, low resolution: the references stay a
few kilobytes a page) and compared pixel by pixel. A page fails when more than
`TOLERANCE` of its pixels differ by more than `THRESHOLD` grey levels; the test then writes
the new picture and a diff picture (changed pixels in black) next to each other under
var/visual-diffs/ and names them in the failure.

A change to the look is accepted on purpose, never by accident:

    bin/test --update-references

(or CHECKLISTS_UPDATE_REFERENCES=1 with pytest) renders the pictures again, writes them over
the references, and the diff shows up in `git diff --stat` for review.
"""

import datetime
import os
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
from checklists.pdf import render_checklist

REFERENCES = Path(__file__).parent / "reference"
DIFFS = Path(__file__).resolve().parents[2] / "var" / "visual-diffs"
DPI = 36
THRESHOLD = 64  # grey levels out of 255: anti-aliasing noise stays below it
TOLERANCE = 0.0003  # of a page's pixels: about 40 of its 125,000
UPDATE = os.environ.get("CHECKLISTS_UPDATE_REFERENCES") == "1"
SIGNED = datetime.datetime(2026, 6, 1, 13, 5, tzinfo=datetime.UTC)


def _unit(code: str, title: str, shape: tuple[int, ...], *, filled: bool) -> UnitBlock:
    outcomes = []
    for o, count in enumerate(shape, start=1):
        rows = []
        for c in range(1, count + 1):
            row = CriterionRow(
                number=f"{o}.{c}",
                text=f"Explain how the organisation’s procedures for task {o}.{c} meet "
                "customers’ needs",
            )
            if filled:
                row.evidence = [
                    EvidenceItem(
                        reference=f"E{o}{c:02d}",
                        title=f"Reflective account of task {o}.{c}",
                        method="Reflective account",
                        date=datetime.date(2026, 2, c),
                        submitted_on=datetime.date(2026, 2, c + 1),
                    )
                ]
                row.decision = "met" if c % 3 else "not_yet_met"
                row.decided_on = datetime.date(2026, 3, c)
                row.feedback = "" if c % 3 else "Add a witness statement."
            rows.append(row)
        outcomes.append(OutcomeBlock(number=str(o), title=f"Understand part {o} of {title}"))
        outcomes[-1].rows = rows
    unit = UnitBlock(
        code=code, title=title, version=2, is_mandatory=code.startswith("A"), outcomes=outcomes
    )
    if filled:
        unit.tutor = Signature(name="Bob Baker", signed_at=SIGNED, comment="All criteria met.")
        unit.learner = Signature(name="Alice Archer", signed_at=SIGNED, comment="Thank you.")
        unit.internal_moderator = Signature(
            name="Ivy Inman", signed_at=SIGNED, comment="Sampled.", outcome="Agreed"
        )
    return unit


def _document(layout: Layout, kind: str) -> ChecklistDocument:
    filled = kind == "filled"
    units = [_unit("A/100/0001", "Greet customers", (4, 3, 3), filled=filled)]
    if filled:
        units.append(_unit("B/100/0002", "Keep diaries", (6, 6, 5), filled=True))
    units[0].opens_document = True
    return ChecklistDocument(
        layout=layout,
        units=units,
        qualification_number="600/0001/1",
        qualification_title="Level 2 Diploma in Testing",
        qualification_version=1,
        centre_name="Alpha College" if filled else "",
        learner_name="Alice Archer" if filled else "",
        is_blank=not filled,
    )


def _rasterise(pdf: bytes, folder: Path) -> list[Image.Image]:
    source = folder / "page.pdf"
    source.write_bytes(pdf)
    subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [shutil.which("pdftoppm"), "-r", str(DPI), "-gray", "-png", str(source), str(folder / "p")],
        check=True,
    )
    return [Image.open(path).convert("L") for path in sorted(folder.glob("p-*.png"))]


def _differing(reference: Image.Image, page: Image.Image) -> tuple[float, Image.Image]:
    diff = ImageChops.difference(reference, page).point(lambda v: 0 if v > THRESHOLD else 255)
    changed = diff.histogram()[0]
    return changed / (page.width * page.height), diff


@pytest.mark.parametrize("kind", ["blank", "filled"])
@pytest.mark.parametrize("layout", list(Layout))
def test_layout_looks_like_its_reference(layout, kind, tmp_path):
    pages = _rasterise(render_checklist(_document(layout, kind)), tmp_path)
    name = f"{layout.value}-{kind}"
    if UPDATE:
        REFERENCES.mkdir(exist_ok=True)
        for old in REFERENCES.glob(f"{name}-p*.png"):
            old.unlink()
        for number, page in enumerate(pages, start=1):
            page.save(REFERENCES / f"{name}-p{number}.png", optimize=True)

    references = sorted(REFERENCES.glob(f"{name}-p*.png"))
    assert len(pages) == len(references), (
        f"{name}: {len(pages)} pages printed, {len(references)} in the reference "
        "(bin/test --update-references to accept)"
    )
    failures = []
    for number, (page, path) in enumerate(zip(pages, references, strict=True), start=1):
        reference = Image.open(path).convert("L")
        if reference.size != page.size:
            failures.append(f"page {number}: size {page.size} != {reference.size}")
            continue
        share, diff = _differing(reference, page)
        if share > TOLERANCE:
            DIFFS.mkdir(parents=True, exist_ok=True)
            sheet = Image.new("L", (page.width * 3, page.height), 255)
            for column, picture in enumerate((reference, page, diff)):
                sheet.paste(picture, (column * page.width, 0))
            out = DIFFS / f"{name}-p{number}-diff.png"
            sheet.save(out)
            failures.append(f"page {number}: {share:.2%} of pixels differ; see {out}")
    assert not failures, f"{name} drifted from its reference: " + "; ".join(failures)


def test_a_small_drift_fails_the_comparison():
    """A moved line or a changed word (here a 12 x 6 pixel box) is over the tolerance."""
    reference = Image.open(REFERENCES / "assessment-blank-p1.png").convert("L")
    drifted = reference.copy()
    drifted.paste(0, (100, 100, 112, 106))
    assert _differing(reference, reference)[0] == 0
    assert _differing(reference, drifted)[0] > TOLERANCE
