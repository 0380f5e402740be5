"""Units of competency (training.gov.au and its mirrors).

Elements "1. Title" or "1 . Title"; performance criteria "1.1." with a trailing dot, or lists
that restart at "1." under each element (read as 1.1, 1.2, … with the printed label kept).
Range statements, required skills and key competency tables hold no criteria. The unit's code
is in the title line, a breadcrumb or the URL, never a code quoted in the descriptor.
"""

import re
from dataclasses import replace

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
from qualifications.importer.metadata import TGA_CODE, read_metadata
from qualifications.importer.results import ParsedCriterion, ParsedOutcome

NAME = "competency"
PLAIN = "a unit of competency"
SCHEME = "training.gov.au"

CUES = [
    cue(
        r"elements?\s+and\s+performance\s+criteria",
        0.4,
        "an 'Elements and Performance Criteria' heading",
    ),
    cue(r"training\.gov\.au|unit\s+of\s+competency", 0.3, "a training.gov.au unit of competency"),
    cue(r"^\s*\d\s+\.\s+[A-Z]", 0.15, "elements written '1 . Title'"),
    cue(r"^\s*\d{1,2}\.\d{1,2}\.\s", 0.15, "criteria with a trailing dot"),
    cue(
        r"range\s+statement|required\s+skills|key\s+competenc|foundation\s+skills",
        0.2,
        "range statements or required skills",
    ),
    cue(r"\b[A-Z]{3,6}\d{3,4}[A-Z]?\b", 0.05, "a national unit code"),
    cue(r"(?:>|\u203a)\s*[A-Z]{3,6}\d{3,4}[A-Z]?\s*$", 0.2, "a breadcrumb ending in a unit code"),
]

_TITLE_LINE = re.compile(
    rf"^(?:unit\s+of\s+competency\s*:?\s*)?(?P<code>{TGA_CODE.pattern})\s*[-\u2013:]?\s+(?P<title>[A-Z].+?)"
    r"(?:\s*\(release\s+\d+\))?$",
    re.I,
)
_CODE_PLACE = re.compile(
    r"(?:>|\u203a|training/details/|/units?/|[?&]code=)\s*" + TGA_CODE.pattern, re.I
)

RULES = Rules(
    restart=True,
    wrap_width=1000,  # pages copied from the web keep each criterion on one line
    skip=(
        *PAGE_FURNITURE,
        re.compile(r"^elements?\s+describe|^performance\s+criteria\s+describe", re.I),
        re.compile(
            r"^(?:element|performance\s+criteria)(?:\s+(?:element|performance\s+criteria))*$", re.I
        ),
    ),
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.text, CUES)


def read(doc: Doc) -> Read:
    meta = read_metadata(doc.lines, scheme=SCHEME)
    for line in doc.lines:
        match = _TITLE_LINE.match(line.text)
        if match:
            meta.other_codes.setdefault(SCHEME, match["code"].upper())
            meta.title = meta.title or match["title"].strip()
            meta.lines.add(line.number)
            break
    if SCHEME not in meta.other_codes:
        for line in doc.lines:
            match = _CODE_PLACE.search(line.raw)
            if match:
                meta.other_codes[SCHEME] = match[1].upper()
                meta.lines.add(line.number)
                break
    read = read_simple(doc, RULES, meta=meta)
    for unit in read.units:
        if not unit.criteria_count:
            unit.outcomes = _continuous_list(unit.outcomes)
    return read


def _continuous_list(items: list[ParsedOutcome]) -> list[ParsedOutcome]:
    """Mirrors that number everything in one list: the elements first (1. A, 2. B), then each
    element again followed by its performance criteria (3. A, 4. pc, 5. pc, 6. B, 7. pc …).
    Read back as elements 1, 2 … with criteria 1.1, 1.2 …, each keeping its printed number."""
    titles = [item.title.lower() for item in items]
    repeat = next((i for i, t in enumerate(titles) if t and t in titles[:i]), None)
    if repeat is None:
        return items
    elements = [replace(item, criteria=[]) for item in items[:repeat]]
    position = {title: index for index, title in enumerate(titles[:repeat])}
    current = None
    for item in items[repeat:]:
        index = position.get(item.title.lower())
        if index is not None:
            current = elements[index]
        elif current is not None:
            number = f"{current.number}.{len(current.criteria) + 1}"
            current.criteria.append(
                ParsedCriterion(
                    number=number, text=item.title, line=item.line, label=f"{item.number}."
                )
            )
    return elements
