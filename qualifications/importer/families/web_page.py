"""Awarding bodies' unit web pages (Gateway, NCFE, Highfield, Pearson and kin).

A label with a colon on one line and its value on the next ("Level:" / "Level 2"); criteria as
bullets ("• 1.1") with the text on the next, indented line; the title is often missing.
"""

import re

from qualifications.importer.extract import LOOKS_NUMBERED, OUTCOME, Rules
from qualifications.importer.families.base import (
    PAGE_FURNITURE,
    UNIT_HEADING,
    Doc,
    Read,
    Score,
    cue,
    read_simple,
    score_cues,
)
from qualifications.importer.families.sections import CRITERIA_OFF, CRITERIA_ON, UNIT_CONTENT
from qualifications.importer.metadata import label_key, read_metadata

NAME = "web_page"
PLAIN = "an awarding body's unit web page"

CUES = [
    cue(
        r"^(?:unit\s+)?(?:reference|ref|level|title|credit\s+value|credits|guided\s+learning"
        r"\s+hours|glh|code|number)[ ]*:[ \t]*\n[ \t]*\S",
        0.35,
        "labels with colons and the value below",
    ),
    cue(
        r"^\s*[\u2022\u25cf\u25aa*-]\s*\d{1,2}\.\d{1,2}\s*$",
        0.45,
        "criterion numbers as bullets with the text below",
    ),
    cue(r"\b\d+\s+hours\b", 0.1, "hours written with their unit"),
    cue(r"(?:home|qualifications|units)\s*(?:>|\u203a|/)\s*\w", 0.1, "a breadcrumb"),
]

_NOT_TITLES = {"overview", "summary", "unit summary", "details", "unit details", "unit"}
_WITH_COLON = re.compile(r"^[A-Za-z][A-Za-z ()]{2,40}:")

RULES = Rules(
    skip=(
        *PAGE_FURNITURE,
        re.compile(r"^(?:home|menu|search|print|share|back to top|cookies?)\b.*$", re.I),
        re.compile(r"(?:>|\u203a)"),
    ),
    wrap_width=1000,
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.raw, CUES)


def _title_before_labels(doc: Doc, meta) -> None:
    """A pasted page often starts with the unit's title as a plain line above the labels."""
    for line in doc.lines:
        if line.blank or any(p.search(line.text) for p in RULES.skip):
            continue
        if label_key(line.text) or _WITH_COLON.match(line.text) or LOOKS_NUMBERED.match(line.text):
            return
        if UNIT_HEADING.match(line.text):
            return  # read as a unit heading, code and all
        if line.text.lower() in _NOT_TITLES:
            continue
        if len(line.text) <= 120 and not OUTCOME.match(line.text):
            meta.title = meta.title or line.text
            meta.lines.add(line.number)
        return


def read(doc: Doc) -> Read:
    meta = read_metadata(doc.lines)
    _title_before_labels(doc, meta)
    return read_simple(doc, RULES, meta=meta)
