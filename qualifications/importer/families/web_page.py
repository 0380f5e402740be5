"""Awarding bodies' unit web pages (Gateway, NCFE, Highfield, Pearson and kin).

A label with a colon on one line and its value on the next ("Level:" / "Level 2"); criteria as
bullets ("• 1.1") with the text on the next, indented line; the title is often missing.
"""

import re

from qualifications.importer.extract import Rules
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

NAME = "web_page"
PLAIN = "an awarding body's unit web page"

CUES = [
    cue(r"^[A-Za-z][A-Za-z ()]{2,40}:\s*\n\s*\S", 0.35, "labels with colons and the value below"),
    cue(
        r"^\s*[\u2022\u25cf\u25aa*-]\s*\d{1,2}\.\d{1,2}\s*$",
        0.45,
        "criterion numbers as bullets with the text below",
    ),
    cue(r"\b\d+\s+hours\b", 0.1, "hours written with their unit"),
    cue(r"(?:home|qualifications|units)\s*(?:>|\u203a|/)\s*\w", 0.1, "a breadcrumb"),
]

RULES = Rules(
    skip=(
        *PAGE_FURNITURE,
        re.compile(r"^(?:home|menu|search|print|share|back to top|cookies?)\b.*$", re.I),
        re.compile(r"(?:>|\u203a)"),
    ),
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.raw, CUES)


def read(doc: Doc) -> Read:
    return read_simple(doc, RULES)
