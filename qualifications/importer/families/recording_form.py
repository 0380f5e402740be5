"""N/SVQ unit recording forms (City & Guilds style): criteria labelled unit.group.item
(301.1.3) with no outcome titles, a table header repeated at page breaks (sometimes misspelt),
an assessor sign-off block, and the next form's title glued on at the end."""

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
from qualifications.importer.families.sections import CRITERIA_OFF, CRITERIA_ON

NAME = "recording_form"
PLAIN = "an N/SVQ unit recording form"

CUES = [
    cue(r"^\s*\d(?:\d\d|[a-z]{2})\.\d{1,2}\.\d{1,2}\b", 0.5, "criteria numbered unit.group.item"),
    cue(r"recording\s+form|unit\s+record", 0.2, "called a recording form"),
    cue(r"assessor\s+(?:signature|sign[- ]off)", 0.2, "an assessor sign-off block"),
    cue(r"\bn/?svq\b|city\s*&\s*guilds", 0.1, "names an N/SVQ or City & Guilds"),
]

# Unit numbers as City & Guilds prints them (201) or as a form template leaves them (2xx).
_UNIT_NUMBER = r"\d(?:\d\d|[a-z]{2})"
_UNIT_HEADING = re.compile(
    rf"^\s*unit\s+(?P<n>{_UNIT_NUMBER})\s*[:\-\u2013]?\s+(?P<title>\S.*)$", re.I
)
_HEADER_VARIANT = re.compile(
    r"^(?:perf?[oa]r?m[ae]n[cs]e\s+crit[ea]r?i?[ao]n?|evid[ae]nce\s+ref(?:erence)?|page\s+ref"
    r"|date|assessor\s+initials|method)(?:\s+(?:perf?[oa]r?m[ae]n[cs]e\s+crit[ea]r?i?[ao]n?"
    r"|evid[ae]nce\s+ref(?:erence)?|page\s+ref|date|assessor\s+initials|method))*$",
    re.I,
)

RULES = Rules(
    skip=(*PAGE_FURNITURE, _HEADER_VARIANT, re.compile(r"recording\s+form$", re.I)),
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    # The next form's title, glued on by the export: "Unit 302Prepare ...".
    end=re.compile(rf"^unit\s+{_UNIT_NUMBER}\s*[A-Z]", re.I),
)


def score(doc: Doc) -> Score:
    return score_cues(doc.text, CUES)


def read(doc: Doc) -> Read:
    meta = meta_from_heading(
        doc, _UNIT_HEADING, scheme="City & Guilds unit", number_as="City & Guilds unit"
    )
    return read_simple(doc, RULES, meta=meta)
