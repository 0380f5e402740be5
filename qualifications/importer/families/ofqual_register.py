"""Ofqual register unit pages: every label, number and text on a line of its own."""

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

NAME = "ofqual_register"
PLAIN = "an Ofqual register unit page"

CUES = [
    cue(
        r"^\s*(?:unit\s+)?reference\s+number\s*$", 0.35, "a reference-number label on its own line"
    ),
    cue(
        r"learning\s+outcomes?\s*[-\u2013]\s*the\s+learner\s+will:\s*assessment\s+criteri",
        0.4,
        "the register's glued column headers",
    ),
    cue(
        r"\bofqual\b|register\s+of\s+regulated\s+qualifications",
        0.2,
        "mentions the Ofqual register",
    ),
    cue(r"^\s*guided\s+learning\s+hours\s*$", 0.1, "a GLH label on its own line"),
    cue(r"^\s*credit\s+value\s*$", 0.1, "a credit label on its own line"),
]

RULES = Rules(
    outcomes_first=True,
    skip=(
        *PAGE_FURNITURE,
        re.compile(r"learning\s+outcomes?\s*[-\u2013]\s*the\s+learner\s+will", re.I),
        re.compile(r"^(?:ofqual|the\s+register|register\s+of\s+regulated).*", re.I),
        re.compile(r"\blogo\b", re.I),
    ),
    wrap_width=1000,
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.text, CUES)


def read(doc: Doc) -> Read:
    return read_simple(doc, RULES)
