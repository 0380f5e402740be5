"""The importer's pipeline: normalise → segment → score the families → extract → validate."""

from __future__ import annotations

from qualifications.importer.extract import DOTTED, LOOKS_NUMBERED, REPEATED, excerpt
from qualifications.importer.families import FALLBACK, FAMILIES, handbook
from qualifications.importer.families.base import Doc, Read, Score
from qualifications.importer.metadata import body_named_in, read_metadata
from qualifications.importer.normalise import check_is_text, normalise_document
from qualifications.importer.results import ParsedUnit, ParseResult, SpecParseError
from qualifications.importer.segment import segment
from qualifications.importer.validate import confidence, numbering_problems, validate_unit

# A family must score at least this to be tried; below it, the general reader takes over.
MIN_SCORE = 0.3
FALLBACK_CAP = 0.4
HANDBOOK_BONUS = 0.1


def _candidates(doc: Doc) -> list[tuple[Score, object]]:
    scored = [(family.score(doc), index, family) for index, family in enumerate(FAMILIES)]
    scored.sort(key=lambda item: (-item[0].value, item[1]))
    return [(score, family) for score, _, family in scored]


def _unread_numbered(doc: Doc, read: Read) -> list[tuple[int, str]]:
    """Numbered-looking lines that the reading neither took nor warned about: the handbook
    reader drops stray markers quietly, and nothing may be lost without a word."""
    used = {o.line for u in read.units for o in u.outcomes}
    used |= {c.line for u in read.units for c in u.criteria}
    used |= {line for line, _ in read.warnings}
    return [
        (line.number, f"'{excerpt(line.cells[0])}' looks numbered but was not read")
        for line in doc.lines
        if line.cells
        and line.number not in used
        and (LOOKS_NUMBERED.match(line.cells[0]) or DOTTED.match(line.cells[0]))
    ]


def _fill_metadata(doc: Doc, unit: ParsedUnit) -> None:
    """Metadata wherever the layout puts it: what the winning reader left empty in a one-unit
    document, the labels anywhere in it may still give."""
    meta = read_metadata(doc.lines, scheme=body_named_in(doc.text) or "awarding body")
    for name in ("code", "title", "level", "credit_value", "glh", "awarding_body"):
        if getattr(unit, name) in ("", None) and getattr(meta, name) not in ("", None):
            setattr(unit, name, getattr(meta, name))
    for scheme, code in meta.other_codes.items():
        if code not in unit.other_codes.values():
            unit.other_codes.setdefault(scheme, code)


def _result(
    doc: Doc, family, score: Score, read: Read, notes: list[tuple[int, str]]
) -> ParseResult:
    is_handbook = family is handbook
    unread = _unread_numbered(doc, read) if is_handbook else []
    warnings = list(notes) + list(read.warnings) + unread
    body = body_named_in(doc.text)
    if len(read.units) == 1:
        _fill_metadata(doc, read.units[0])
    for unit in read.units:
        unit.awarding_body = unit.awarding_body or body
        problems = validate_unit(unit, numbering=not is_handbook)
        warnings.extend(problems)
        unit.layout_name = handbook.plain_layout(read.layout) if is_handbook else family.PLAIN
        cap = FALLBACK_CAP if family is FALLBACK else 1.0
        unit.confidence = confidence(
            score.value, read.numbered, read.taken, len(problems) + len(notes), cap=cap
        )
    ordered = sorted(dict.fromkeys(warnings), key=lambda w: w[0])
    texts = [f"Line {line}: {message}" for line, message in ordered]
    doubts = list(notes) + [w for w in read.warnings if REPEATED in w[1]]
    return ParseResult(
        doubts=[f"Line {line}: {message}" for line, message in doubts],
        layout=read.layout or family.NAME,
        qualification=read.qualification,
        units=read.units,
        warnings=texts,
        layout_name=read.units[0].layout_name if read.units else family.PLAIN,
        reasons=list(score.reasons),
    )


def _texted(read: Read) -> int:
    return sum(1 for unit in read.units for crit in unit.criteria if crit.text)


def parse_spec(text: str) -> ParseResult:
    """Read one exported document into units. Raises SpecParseError only for a document with
    no numbered criteria at all; anything doubtful is a warning naming its line.

    Every family that fits well enough reads the document; the reading with the most criteria
    (less two for each gap or repeat in their numbering) wins, and on a tie the family that
    fits best.
    """
    check_is_text(text)
    normalised = normalise_document(text)
    doc = Doc(raw=text, text=normalised, lines=segment(normalised))
    readings = []
    refusals: list[tuple[float, int, str]] = []
    for rank, (score, family) in enumerate(_candidates(doc)):
        # The handbook reader is always tried: it reads the seed layouts and plain numbered
        # outcomes and criteria, which need no cue to recognise.
        if score.value < MIN_SCORE and family is not handbook:
            continue
        try:
            read = family.read(doc)
        except SpecParseError as error:
            message = f"not read as {family.PLAIN}: {error.message}"
            refusals.append((score.value, error.line or 1, message))
            continue
        if _texted(read):
            # The handbook reader also keeps guidance, sections and mandatory units, so it
            # wins a tie with a family that fits only a little better.
            fit = score.value + (HANDBOOK_BONUS if family is handbook else 0.0)
            likely = _texted(read) - 2 * numbering_problems(read.units)
            readings.append(((likely, fit, -rank), family, score, read))
    if readings:
        _, family, score, read = max(readings, key=lambda item: item[0])
    else:
        family, score, read = FALLBACK, FALLBACK.score(doc), FALLBACK.read(doc)
    if not any(unit.criteria_count for unit in read.units):
        last = len(doc.lines)
        raise SpecParseError(
            f"no numbered assessment criteria in lines 1 to {last}. The importer looks for "
            "criteria such as '1.1 Explain ...', 'AC 1.1', 'P1', 'K3' or '301.1.2', under "
            "outcomes such as '1. Understand ...', 'LO1' or 'Learning outcome 1'.",
            line=1,
        )
    notes = [(line, message) for value, line, message in refusals if value >= score.value]
    return _result(doc, family, score, read, notes)
