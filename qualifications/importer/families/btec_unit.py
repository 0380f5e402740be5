"""BTEC and other specialist units: "Unit 1: Title", credit and GLH lines, the pass boilerplate,
then a *Unit content* section that repeats each outcome with amplification lines."""

import re

from qualifications.importer.extract import Rules
from qualifications.importer.families.base import (
    PAGE_FURNITURE,
    Doc,
    Read,
    Score,
    cue,
    meta_from_heading,
    read_simple,
    score_cues,
)
from qualifications.importer.families.sections import CRITERIA_OFF, CRITERIA_ON, UNIT_CONTENT

NAME = "btec_unit"
PLAIN = "a BTEC-style unit with unit content"

CUES = [
    cue(r"^\s*unit\s+\d{1,3}\s*:\s*\S", 0.3, "a 'Unit N: Title' heading"),
    cue(
        r"in\s+order\s+to\s+pass\s+this\s+unit",
        0.35,
        "the 'In order to pass this unit' boilerplate",
    ),
    cue(r"^\s*unit\s+content\s*$", 0.3, "a Unit content section"),
    cue(r"\bbtec\b|\bpearson\b|\bedexcel\b", 0.1, "names BTEC or Pearson"),
]

_UNIT_HEADING = re.compile(r"^\s*unit\s+(?P<n>\d{1,3})\s*:\s*(?P<title>\S.*)$", re.I)

RULES = Rules(
    skip=(
        *PAGE_FURNITURE,
        re.compile(r"^in\s+order\s+to\s+pass\s+this\s+unit", re.I),
        re.compile(r"^(?:to\s+)?(?:achieve|pass)\s+this\s+unit\b", re.I),
    ),
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.text, CUES)


def read(doc: Doc) -> Read:
    meta = meta_from_heading(doc, _UNIT_HEADING, scheme="Pearson unit", number_as="Unit number")
    return read_simple(doc, RULES, meta=meta)
