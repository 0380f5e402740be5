"""Text taken from PDF and .docx files: two columns side by side on one line, criteria wrapped
over several lines, words hyphenated across lines, page headers and footers repeated."""

import re
from collections import Counter
from dataclasses import replace

from qualifications.importer.extract import DOTTED, NUMBERED, OUTCOME, Rules
from qualifications.importer.families.base import (
    PAGE_FURNITURE,
    Doc,
    Read,
    Score,
    cue,
    read_simple,
    score_cues,
)
from qualifications.importer.families.sections import CRITERIA_OFF, CRITERIA_ON, UNIT_CONTENT
from qualifications.importer.normalise import normalise_text
from qualifications.importer.segment import Line

NAME = "pdf_text"
PLAIN = "text taken from a PDF or Word file"

CUES = [
    cue(r"^\s*page\s+\d+\s+of\s+\d+\s*$", 0.3, "'Page N of M' footers"),
    cue(r"\S {3,}\d{1,2}\.\d{1,2}\s", 0.4, "two columns side by side"),
    cue(r"[a-z]-\n\s*[a-z]", 0.3, "words hyphenated across lines"),
    cue(r"^\s*\(?[a-c]\)\s", 0.1, "sub-criteria a, b, c"),
]

_GAP = re.compile(r"\S( {3,})\S")

RULES = Rules(
    skip=PAGE_FURNITURE, on=CRITERIA_ON, off=CRITERIA_OFF, content=UNIT_CONTENT, wrap_width=0
)


def score(doc: Doc) -> Score:
    return score_cues(doc.raw, CUES)


def _part(line: Line, raw: str) -> Line:
    text = normalise_text(raw)
    return replace(line, raw=raw, cells=(text,) if text else (), in_table=False)


def deinterleave(lines: list[Line]) -> list[Line]:
    """Two columns side by side become the left column's lines, then the right column's, one
    outcome at a time; each keeps its own line number."""
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    column = None  # where the right column starts

    def flush():
        out.extend(left)
        out.extend(right)
        left.clear()
        right.clear()

    for line in lines:
        raw = line.raw.rstrip()
        gap = _GAP.search(raw)
        if gap:
            column = gap.end(1)
            left_raw, right_raw = raw[: gap.start(1)], raw[gap.end(1) :]
            starts_outcome = OUTCOME.match(left_raw.strip()) or (
                NUMBERED.match(left_raw.strip()) and not DOTTED.match(left_raw.strip())
            )
            if starts_outcome:
                flush()
            left.append(_part(line, left_raw))
            right.append(_part(line, right_raw))
        elif column is not None and raw and len(raw) - len(raw.lstrip()) >= column - 2:
            right.append(_part(line, raw.strip()))
        elif (
            column is not None
            and raw
            and (left or right)
            and not any(p.search(raw.strip()) for p in PAGE_FURNITURE)
            and raw[:1] != " "
            and len(raw) < column
        ):
            left.append(_part(line, raw))
        else:
            flush()
            column = None if not raw else column
            out.append(line)
    flush()
    return out


def read(doc: Doc) -> Read:
    # A line repeated on every page (a running header) is not part of the unit.
    counts = Counter(line.text for line in doc.lines if len(line.text) > 20)
    repeated = {text for text, n in counts.items() if n >= 2 and not DOTTED.match(text)}
    kept = [line for line in deinterleave(doc.lines) if line.text not in repeated]
    return read_simple(replace(doc, lines=kept), RULES)
