"""What every layout family shares: the document it reads, its score, and building a unit.

A family is one module in this package with ``NAME`` (internal), ``PLAIN`` (plain words for the
preview: "a grading grid"), ``score(doc) -> Score`` and ``read(doc) -> Read``. Adding a family
means adding one module, listing it in ``FAMILIES`` and adding its fixtures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualifications.importer.extract import Reading, Rules, read_hierarchy
from qualifications.importer.metadata import Metadata, body_named_in, read_metadata
from qualifications.importer.results import ParsedQualification, ParsedUnit
from qualifications.importer.segment import Line

_KNOWLEDGE = re.compile(r"^(?:understand|know|be aware)\b", re.I)
_COMPETENCE = re.compile(r"^(?:be able to|can)\b", re.I)

PAGE_FURNITURE = (
    re.compile(r"^page\s+\d+(?:\s+of\s+\d+)?$", re.I),
    re.compile(r"^\d+\s*(?:/|of)\s*\d+$"),
    re.compile(r"^(?:version|issue)\s+\d+(?:\.\d+)*\b", re.I),
    re.compile(r"^(?:©|copyright\b|\(c\)\s*\d{4})", re.I),
)


@dataclass
class Doc:
    raw: str  # as given
    text: str  # normalised (same lines)
    lines: list[Line]


@dataclass
class Score:
    value: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Read:
    units: list[ParsedUnit]
    warnings: list[tuple[int, str]] = field(default_factory=list)
    qualification: ParsedQualification | None = None
    layout: str = ""  # the result's layout name, when the family has several
    numbered: int = 0  # numbered-looking lines seen, and taken as outcomes or criteria
    taken: int = 0


def score_cues(text: str, cues: list[tuple[re.Pattern, float, str]]) -> Score:
    score = Score(0.0)
    for pattern, weight, reason in cues:
        if pattern.search(text):
            score.value += weight
            score.reasons.append(reason)
    score.value = min(score.value, 1.0)
    return score


def cue(pattern: str, weight: float, reason: str) -> tuple[re.Pattern, float, str]:
    return re.compile(pattern, re.I | re.M), weight, reason


def outcome_kind(title: str) -> str:
    if _KNOWLEDGE.match(title):
        return "knowledge"
    if _COMPETENCE.match(title):
        return "competence"
    return ""


def build_unit(
    reading: Reading, meta: Metadata, *, line: int = 1, awarding_body: str = ""
) -> ParsedUnit:
    for outcome in reading.outcomes:
        outcome.kind = outcome_kind(outcome.title)
    return ParsedUnit(
        code=meta.code,
        other_codes=dict(meta.other_codes),
        title=meta.title,
        level=meta.level,
        credit_value=meta.credit_value,
        glh=meta.glh,
        awarding_body=meta.awarding_body or awarding_body,
        line=line,
        outcomes=reading.outcomes,
    )


UNIT_HEADING = re.compile(
    r"^(?:unit\s+(?:\d{1,3}|[A-Z]/\d{3}/\d{4})\s*[:.\-\u2013]?\s+(?P<t1>\S.*)"
    r"|(?P<code>[A-Z]/\d{3}/\d{4})\s*[:\-\u2013]?\s+(?P<t2>[A-Z].*))$",
    re.I,
)
_MANDATORY = re.compile(r"\s*[-\u2013(]\s*(?:mandatory|optional)(?:\s+unit)?\s*\)?\s*$", re.I)


def unit_sections(lines: list[Line]) -> list[list[Line]]:
    """The lines of each unit, split at unit headings when there are several units."""
    starts = [i for i, line in enumerate(lines) if line.cells and UNIT_HEADING.match(line.text)]
    if len(starts) < 2:
        return [lines]
    bounds = [0, *starts[1:], len(lines)]
    return [lines[bounds[k] : bounds[k + 1]] for k in range(len(bounds) - 1)]


def _heading_meta(lines: list[Line], meta: Metadata) -> None:
    for line in lines:
        match = UNIT_HEADING.match(line.text) if line.cells else None
        if match:
            if match["code"] and not meta.code:
                meta.code = match["code"]
            code = re.search(r"[A-Z]/\d{3}/\d{4}", line.text)
            if code and not meta.code:
                meta.code = code[0]
            title = _MANDATORY.sub("", match["t1"] or match["t2"] or "")
            title = re.sub(r"\s*[(\[]?[A-Z]/\d{3}/\d{4}[)\]]?\s*", " ", title).strip()
            if title and not meta.title:
                meta.title = title
            meta.lines.add(line.number)
            return


def meta_from_heading(doc: Doc, heading: re.Pattern, *, scheme: str, number_as: str) -> Metadata:
    """The document's metadata, with the title and the awarding body's unit number (kept as
    the code `number_as`) taken from the first line `heading` matches (groups `title`, `n`)."""
    meta = read_metadata(doc.lines, scheme=scheme)
    for line in doc.lines:
        match = heading.match(line.text)
        if match:
            meta.title = meta.title or match["title"].strip()
            meta.other_codes.setdefault(number_as, match["n"])
            meta.lines.add(line.number)
            break
    return meta


def read_simple(doc: Doc, rules: Rules, *, scheme: str = "", meta: Metadata | None = None) -> Read:
    """Labelled metadata anywhere, then the numbered hierarchy under ``rules``; one unit per
    unit heading when the document has several."""
    sections = unit_sections(doc.lines)
    body = body_named_in(doc.text)
    # A code that is not Ofqual's is filed under the body that prints it.
    scheme = scheme or body or "awarding body"
    result = Read(units=[])
    for section in sections:
        section_meta = meta if (meta is not None and len(sections) == 1) else None
        section_meta = section_meta or read_metadata(section, scheme=scheme)
        _heading_meta(section, section_meta)
        reading = read_hierarchy(section, rules, skip_lines=section_meta.lines)
        first = next((ln.number for ln in section if not ln.blank), 1)
        unit = build_unit(reading, section_meta, line=first, awarding_body=body)
        if unit.outcomes:
            result.units.append(unit)
        result.warnings.extend(reading.warnings)
        result.numbered += reading.numbered
        result.taken += reading.taken
    return result
