"""Grading grids (BTEC Nationals, OCR Cambridge Technicals): Pass, Merit and Distinction
criteria P1, M1, D1, often flattened row by row so the grades interleave; PLTS tags in square
brackets are kept apart from the text. Each criterion keeps its grade band."""

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

NAME = "grading_grid"
PLAIN = "a grading grid"

CUES = [
    cue(r"(?:^|\s)P1\b.*(?:\n.*)*?(?:^|\s)M1\b", 0.4, "pass and merit criteria P1, M1"),
    cue(r"(?:^|\s)D1\b", 0.2, "distinction criteria D1"),
    cue(
        r"to\s+achieve\s+a\s+(?:pass|merit|distinction)\s+grade",
        0.3,
        "the grade band column headers",
    ),
    cue(r"\[[A-Z]{2}\d?\]", 0.1, "bracketed PLTS tags"),
]

RULES = Rules(
    grades=True,
    skip=(*PAGE_FURNITURE, re.compile(r"^(?:pass|merit|distinction)$", re.I)),
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.text, CUES)


def read(doc: Doc) -> Read:
    return read_simple(doc, RULES)
