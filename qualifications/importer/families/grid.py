"""Outcome and criteria grids pasted as pipe or tab tables, with no metadata at all.

The first row of an outcome carries the outcome's number and title; later rows only a
criterion. Criteria may be written all in lower case.
"""

import re

from qualifications.importer.extract import DOTTED, Rules
from qualifications.importer.families.base import PAGE_FURNITURE, Doc, Read, Score, read_simple

NAME = "grid"
PLAIN = "a table pasted as a grid"

RULES = Rules(skip=PAGE_FURNITURE, wrap_width=1000)
_LABELLED = re.compile(r"^(?:unit\s+title|title|level|credit|guided|unit\s+reference)\b", re.I)


def score(doc: Doc) -> Score:
    rows = [line for line in doc.lines if line.in_table and line.cells]
    criteria_rows = [r for r in rows if any(DOTTED.match(cell) for cell in r.cells)]
    if not criteria_rows:
        return Score(0.0)
    filled = [line for line in doc.lines if line.cells]
    share = len(rows) / len(filled)
    value = 0.3 + 0.5 * share if len(criteria_rows) >= 3 else 0.2
    reasons = [f"{len(criteria_rows)} table rows hold numbered criteria"]
    if share > 0.8:
        reasons.append("almost every line is a table row")
    if any(_LABELLED.match(line.text) for line in filled):
        value -= 0.3
        reasons.append("but it has labelled metadata, which grids do not")
    return Score(max(value, 0.0), reasons)


def read(doc: Doc) -> Read:
    return read_simple(doc, RULES)
