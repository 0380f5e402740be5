"""The importer against the corpus of tests/fixtures/specs: every criterion, number and exact
text, and the metadata the text contains, for each layout family."""

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from qualifications.importer import parse_spec

SPECS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
sys.path.insert(0, str(SPECS_DIR))

from build import SPECS  # noqa: E402 - the corpus directory is put on the path just above
from score import comparable, tally  # noqa: E402

FILES = sorted(SPECS_DIR.glob("*/*.txt"))
FAMILIES = {
    "ofqual_register",
    "grid",
    "web_page",
    "btec_unit",
    "grading_grid",
    "recording_form",
    "competency",
    "sqa_cache",
    "pdf_text",
}


def _expected(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def test_corpus_has_over_forty_specs_and_three_per_family():
    per_family = Counter(path.parent.name for path in FILES)
    assert len(FILES) == 43
    assert set(per_family) == FAMILIES
    assert min(per_family.values()) >= 3


def test_corpus_files_are_what_build_writes():
    written = {f"{family}/{name}": (text, expected) for family, name, text, expected in SPECS}
    on_disk = {
        f"{p.parent.name}/{p.stem}": (p.read_text(encoding="utf-8"), _expected(p)) for p in FILES
    }
    assert on_disk == written


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_spec_reads_exactly_as_expected(path):
    expected = _expected(path)
    units = parse_spec(path.read_text(encoding="utf-8")).to_json()["units"]
    assert [comparable(unit) for unit in units] == expected["units"]


def test_corpus_totals():
    total = None
    for path in FILES:
        result = tally(
            _expected(path)["units"], parse_spec(path.read_text("utf-8")).to_json()["units"]
        )
        if total is None:
            total = result
        else:
            total.add(result)
    assert (total.criteria, total.found, total.extra) == (299, 299, 0)
    assert total.meta_found == total.meta
