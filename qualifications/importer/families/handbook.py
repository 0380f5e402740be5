"""The handbook family: the seed layouts (unit specifications, checklists, guidance, tables).

The input is plain text exported from Word or PDF documents published by UK awarding bodies
(BIIAB, City & Guilds, Pearson, NCFE, OCR, Highfield ...).  Those documents share a family of
layouts: a metadata block ("Unit title:", "Level:", "Credit value:" ...), a table of learning
outcomes ("1. Understand ...", "LO1", "Learning outcome 1") with numbered assessment criteria
("1.1 Explain ...", "AC 1.1"), and optionally guidance/range text, evidence lists, unit content
and sign-off boxes.  Exports mangle that structure in predictable ways (cells split by tabs,
wrapped lines, page headers repeated mid-table, HTML fragments, words split by PDF kerning), so
the parser reads line by line with a small state machine instead of trusting any fixed grid.

Pure Python on purpose (no Django): the import views, the management commands and the tests all
use it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualifications.importer.families.base import Doc, Read, Score, score_cues
from qualifications.importer.families.handbook_rules import (
    _CLOSING,
    _INLINE_META,
    _LEAD_IN,
    _META_WITH_VALUE,
    _OUTCOME_COUNT,
    _PAGE_NUMBER,
    _QUAL_NUMBER_RE,
    _QUAL_TITLE,
    _UNIT_CODE,
    _UNIT_CODE_RE,
    _UNIT_KEYS,
    _WORD_NUMBERS,
    _detect_layout,
    _excerpt,
    _is_boilerplate,
    _is_header_line,
    _Line,
    _match_criterion,
    _match_outcome,
    _match_section,
    _match_unit_header,
    _meta_key,
    _outcome_kind,
    _Paragraphs,
    _parse_int,
    _read_lines,
    _same_text,
    _split_embedded,
    _unit_label,
)
from qualifications.importer.normalise import has_words as _has_words
from qualifications.importer.normalise import normalise_text
from qualifications.importer.results import (
    ParsedCriterion,
    ParsedOutcome,
    ParsedQualification,
    ParsedUnit,
    ParseResult,
    SpecParseError,
)


def _is_none_value(text: str) -> bool:
    """'NA', 'N/A', 'None' ... mean the document has nothing to say in that box."""
    return text.strip().lower().rstrip(".") in {"na", "n/a", "n.a", "none", "not applicable", "-"}


# --------------------------------------------------------------------------- parser state


class _Sink:
    """Where the next piece of loose text goes.

    ``awaiting`` sinks belong to a bare marker ("LO 1", "AC 1.1") whose text sits in the next
    cell or line; they take that text wherever it is.  Other sinks only take wrapped
    continuation lines, except ``collects`` sinks (paragraphs, evidence lists), which keep
    collecting until something structural arrives.
    """

    def __init__(self, kind: str, target=None, *, awaiting: bool = False):
        # kind: title | criterion | crit_guidance | unit_title | paras | evidence | discard
        self.kind = kind
        self.target = target
        self.awaiting = awaiting

    @property
    def collects(self) -> bool:
        return self.kind in {"paras", "evidence"}

    def add(self, text: str, *, bullet: bool = False) -> None:
        self.awaiting = False
        if self.kind == "paras":
            self.target.add(text, bullet=bullet)
        elif self.kind == "evidence":
            if bullet or not self.target:
                self.target.append(text)
            else:
                self.target[-1] += " " + text  # a wrapped evidence line
        elif self.kind in {"title", "unit_title"}:
            self.target.title = f"{self.target.title} {text}".strip()
        elif self.kind == "criterion":
            self.target.text = f"{self.target.text} {text}".strip()
        elif self.kind == "crit_guidance":
            self.target.guidance = f"{self.target.guidance} {text}".strip()


@dataclass
class _UnitState:
    """A unit being built, with the bookkeeping the result does not carry."""

    unit: ParsedUnit
    from_heading: bool = False  # opened by a "CODE Title" or "Unit 201 Title" line
    follows_heading: bool = False  # ... that came straight after another unit heading
    closing: str = ""  # label of its closing comments block ("TUTOR COMMENTS"), once seen
    expected_outcomes: tuple[int, int] | None = None  # from "This unit has 4 learning outcomes"
    criterion_lines: dict[str, int] = field(default_factory=dict)
    sections: dict[str, _Paragraphs] = field(default_factory=dict)
    outcome_text: dict[tuple[str, str], _Paragraphs] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        unit = self.unit
        return not (unit.outcomes or unit.code or unit.title or self.from_heading)

    def outcome(self, number: str) -> ParsedOutcome | None:
        return next((o for o in self.unit.outcomes if o.number == number), None)

    def paragraphs(self, outcome: ParsedOutcome, attr: str) -> _Paragraphs:
        return self.outcome_text.setdefault((outcome.number, attr), _Paragraphs())

    def section(self, name: str) -> _Paragraphs:
        return self.sections.setdefault(name, _Paragraphs())


_NOTHING_FOUND = (
    "No units or assessment criteria were recognised. The parser looks for numbered criteria "
    "('1.1 Explain ...' or 'AC 1.1'), learning outcomes ('1. Understand ...', 'LO1', "
    "'Learning outcome 1') and unit headings ('Unit title:', 'Ofqual unit code:', "
    "'A/123/4567 Unit title')."
)


class _Parser:
    def __init__(self, text: str):
        self.layout = _detect_layout(text)
        self.lines = _read_lines(text)
        self.units: list[_UnitState] = []
        self.unit: _UnitState | None = None
        self.outcome: ParsedOutcome | None = None
        self.sink: _Sink | None = None
        self.mode = "table"  # table | section | content | closed
        self.text_target: _Paragraphs | None = None  # where section / unit content text goes
        self.prev_blank = True
        self.prev_kind = ""  # kind of the last non-blank line: criterion, heading, meta ...
        self.before_kind = ""  # prev_kind as it was before the current line
        self.last_line = 0
        self.meta_block: list[tuple[str, str, str, int]] = []  # (key, name, value, line)
        self.pending_meta: tuple[str, str, int] | None = None
        self.qualification = ParsedQualification()
        self.warnings: list[tuple[int, str]] = []

    def run(self) -> ParseResult:
        for ln in self.lines:
            self._handle_line(ln)
        self._flush_meta()
        return self._finish()

    def _warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))

    # ----------------------------------------------------------------- dispatch

    def _handle_line(self, ln: _Line) -> None:
        if not ln.cells:
            self._on_blank()
            return
        self.before_kind, self.prev_kind = self.prev_kind, "other"
        self.last_line = ln.number
        if not self._on_meta(ln):
            self._flush_meta()
            handlers = (
                self._on_table_header,
                self._on_closing,
                self._on_unit_header,
                self._on_section_label,
                self._on_continuation,
                self._on_boilerplate,
                self._on_qualification,
                self._on_section_text,
                self._on_content_line,
            )
            if not any(handler(ln) for handler in handlers):
                self._on_cells(ln)
        self.prev_blank = False

    def _on_blank(self) -> None:
        self.prev_blank = True
        if self.sink is None:
            return
        if self.sink.kind == "paras":
            self.sink.target.new_block()
        elif not (self.sink.awaiting or self.sink.collects):
            self.sink = None  # wrapped text never spans a blank line

    def _structural(self, ln: _Line) -> bool:
        first = ln.cells[0]
        return bool(
            _match_criterion(first)
            or _match_outcome(first)
            or _match_section(first)
            or _is_header_line(ln)
            or _match_unit_header(ln.text)
        )

    # ----------------------------------------------------------------- units

    def _ensure_unit(self, line: int) -> _UnitState:
        if self.unit is None:
            self._new_unit(line)
        return self.unit

    def _new_unit(self, line: int) -> _UnitState:
        self.unit = _UnitState(ParsedUnit(line=line))
        self.units.append(self.unit)
        self.outcome = None
        self.sink = None
        self.mode = "table"
        return self.unit

    def _on_unit_header(self, ln: _Line) -> bool:
        header = _match_unit_header(ln.text)
        if header is None:
            return False
        code, title, number, mandatory = header
        current = self.unit
        if current is not None and not current.closing and self._same_unit(current, code, title):
            return True  # the heading repeated at the top of a new page
        if current is None or not current.is_blank:
            current = self._new_unit(ln.number)
        current.unit.line = ln.number
        current.from_heading = True
        current.follows_heading = self.before_kind == "heading"
        current.unit.code, current.unit.title = code, title
        current.unit.mandatory = mandatory
        if number:
            current.unit.other_codes["Unit number"] = number
        self.prev_kind = "heading"
        return True

    @staticmethod
    def _same_unit(state: _UnitState, code: str, title: str) -> bool:
        if code and state.unit.code:
            return code == state.unit.code
        return bool(title and state.unit.title and _same_text(title, state.unit.title))

    # ----------------------------------------------------------------- metadata

    def _on_meta(self, ln: _Line) -> bool:
        pairs = self._meta_pairs(ln)
        if pairs is None:
            if self.pending_meta is None or self._structural(ln):
                return False
            key, name, _line = self.pending_meta
            self.pending_meta = None
            pairs = [(key, name, ln.text)]
        for key, name, value in pairs:
            if value:
                self.meta_block.append((key, name, value, ln.number))
            else:
                self.pending_meta = (key, name, ln.number)
        return True

    @staticmethod
    def _meta_pairs(ln: _Line) -> list[tuple[str, str, str]] | None:
        """Read "Label:<tab>value" cells; None when the line is not a metadata line."""
        pairs: list[tuple[str, str, str]] = []
        cells = ln.cells
        i = 0
        while i < len(cells):
            with_value = _META_WITH_VALUE.match(cells[i])
            label, value = (cells[i], "")
            if with_value:
                label, value = with_value["label"], with_value["value"]
            mapped = _meta_key(label)
            if mapped is None:
                return pairs or None  # cells after the metadata are ignored
            if not value and i + 1 < len(cells):
                if _meta_key(cells[i + 1].rstrip(":")):
                    return None  # a row of column headings: "Title | Level | Credit"
                i += 1
                value = cells[i]
            elif not value and not with_value:
                return None  # a bare word such as "Level" with nothing beside it
            pairs.extend(_split_inline_meta(mapped, value))
            i += 1
        return pairs

    def _flush_meta(self) -> None:
        self.pending_meta = None
        block, self.meta_block = self.meta_block, []
        for key, _name, value, _line in block:
            if key not in _UNIT_KEYS:
                self._set_qualification(key, value)
        entries = [entry for entry in block if entry[0] in _UNIT_KEYS]
        if not entries:
            return
        if self.unit is None or self._starts_new_unit(entries):
            self._new_unit(entries[0][3])
        for key, name, value, line in entries:
            self._set_unit_meta(self.unit.unit, key, name, value, line)
        # A title at the end of the block may wrap onto the next line.
        self.sink = _Sink("unit_title", self.unit.unit) if entries[-1][0] == "title" else None

    def _starts_new_unit(self, entries: list[tuple[str, str, str, int]]) -> bool:
        """A metadata block opens a new unit when the current one has criteria and differs.

        The same block repeated word for word is a PDF page header and changes nothing.
        """
        unit = self.unit.unit
        if not unit.outcomes:
            return False
        for key, _name, value, _line in entries:
            code = _UNIT_CODE_RE.search(value) if key == "code" else None
            if code and unit.code and unit.code != code[1]:
                return True
            if key == "title" and unit.title and not _same_text(unit.title, value):
                return True
        return False

    def _set_unit_meta(self, unit: ParsedUnit, key: str, name: str, value: str, line: int):
        if key == "title":
            unit.title = unit.title or value
        elif key in {"code", "body_code"}:
            code = _UNIT_CODE_RE.search(value) if key == "code" else None
            if code and unit.code and unit.code != code[1]:
                self._warn(line, f"second unit code {code[1]} ignored (kept {unit.code})")
            elif code:
                unit.code = code[1]
            elif value:
                unit.other_codes.setdefault(name, value.split()[0])
        elif key == "level" and "entry" in value.lower():
            self._warn(line, f"entry level {value!r} recorded as no level")
        else:
            number = _parse_int(value)
            current = getattr(unit, key)
            label = key.replace("_", " ")
            if number is None:
                self._warn(line, f"{label} {value!r} is not a number")
            elif current is None:
                setattr(unit, key, number)
            elif current != number:
                self._warn(line, f"second {label} {number} ignored (kept {current})")

    def _set_qualification(self, key: str, value: str) -> None:
        q = self.qualification
        if key == "qual_number":
            match = _QUAL_NUMBER_RE.search(value)
            q.number = q.number or (match[1] if match else value)
        elif key == "qual_title":
            self._set_qual_title(value)
        elif key == "awarding_body":
            q.awarding_body = q.awarding_body or value

    def _set_qual_title(self, title: str) -> None:
        q = self.qualification
        if q.title:
            return
        q.title = title
        match = _QUAL_TITLE.match(title)
        if match:
            q.level = q.level or (int(match["level"]) if match["level"] else None)
            body = match["body"].strip(" -\u2013:")
            if body and len(body.split()) <= 4:  # "BIIAB Level 2 Diploma in ..."
                q.awarding_body = q.awarding_body or body

    # ----------------------------------------------------------------- line handlers

    def _on_table_header(self, ln: _Line) -> bool:
        if not _is_header_line(ln):
            return False
        # An outcome/criteria heading starts a table again; "Date" or "Comments" alone does not.
        if self.mode in {"section", "content"} and re.search(r"outcome|criteri", ln.text, re.I):
            self.mode = "table"
        if self.sink is not None and not self.sink.awaiting:
            self.sink = None
        return True

    def _on_closing(self, ln: _Line) -> bool:
        if not _CLOSING.match(ln.text):
            return False
        if self.unit is not None and not self.unit.closing:
            self.unit.closing = ln.text.rstrip(": ")
        self.mode = "closed"
        self.sink = _Sink("discard")
        return True

    def _on_section_label(self, ln: _Line) -> bool:
        section = _match_section(ln.cells[0])
        if section is None:
            return False
        name, rest = section
        inline = [text for text in (rest, *ln.cells[1:]) if text]
        unit = self._ensure_unit(ln.number)
        if name == "evidence":
            if self.outcome is None:
                self._warn(ln.number, "evidence list before any learning outcome: not placed")
                self.sink = _Sink("discard")
                return True
            self.sink = _Sink("evidence", unit.evidence.setdefault(self.outcome.number, []))
            self.mode = "table"
        elif name == "content":
            self.mode = "content"
            self.text_target = None  # until the first outcome heading
            self.sink = None
        else:
            self.mode = "section"
            self.text_target = unit.section(name)
            self.text_target.new_block()
            self.sink = _Sink("paras", self.text_target)
        for text in inline:
            if self.sink is None:
                self._warn(ln.number, f"text not placed: {_excerpt(text)!r}")
            else:
                self.sink.add(text, bullet=self.sink.kind == "evidence")
        return True

    def _on_continuation(self, ln: _Line) -> bool:
        """A line that wraps the text above it: adjacent, not a new cell, no marker."""
        sink = self.sink
        if sink is None or sink.awaiting or sink.collects or self.prev_blank or ln.indented:
            return False
        first = ln.cells[0]
        if _match_criterion(first) or _match_outcome(first) or _PAGE_NUMBER.match(first):
            return False
        if ln.bullets[0] and sink.kind == "criterion":
            return False  # a list under the criterion, handled with the cells
        if sink.kind == "discard" and not first[:1].islower():
            return False  # only "and Date" under "Tutor Name, Signature" wraps a sign-off
        sink.add(first)
        if sink.kind == "criterion":
            self.prev_kind = "criterion"
        if len(ln.cells) > 1:
            self._on_cells(ln, start=1)
        return True

    def _on_boilerplate(self, ln: _Line) -> bool:
        if not _is_boilerplate(ln.text):
            return False
        count = _OUTCOME_COUNT.match(ln.text)
        if count:
            number = _parse_int(count[1]) or _WORD_NUMBERS.get(count[1].lower())
            if number:
                self._ensure_unit(ln.number).expected_outcomes = (number, ln.number)
        if self.sink is None or not self.sink.awaiting:
            self.sink = _Sink("discard")  # so a wrapped sign-off line is dropped too
        return True

    def _on_qualification(self, ln: _Line) -> bool:
        """Qualification title and number in the preamble, before any unit starts."""
        if self.units:
            return False
        number = _QUAL_NUMBER_RE.search(ln.text)
        rest = _QUAL_NUMBER_RE.sub("", ln.text).strip(" ()[]-\u2013:")
        if number:
            self.qualification.number = self.qualification.number or number[1]
        if rest and _QUAL_TITLE.match(rest):
            self._set_qual_title(rest)
            return True
        return bool(number) and not rest

    def _on_section_text(self, ln: _Line) -> bool:
        if self.mode != "section":
            return False
        first = ln.cells[0]
        if self.unit is None or not self.unit.unit.outcomes:
            outcome = _match_outcome(first)
            if _match_criterion(first) or (outcome and (outcome[2] or outcome[0] == "1")):
                self.mode = "table"  # a preamble section ("Unit aim") ends where the table starts
                self.sink = None
                return False
        self._add_to_text_target(ln)
        return True

    def _on_content_line(self, ln: _Line) -> bool:
        """Unit content / amplification: outcome headings, then paragraphs for that outcome."""
        if self.mode != "content":
            return False
        unit = self._ensure_unit(ln.number)
        heading = _match_outcome(ln.text)
        if heading and (ln.heading or heading[2] or unit.outcome(heading[0])):
            outcome = unit.outcome(heading[0])
            self.text_target = unit.paragraphs(outcome, "content") if outcome else None
            self.sink = None
            if outcome is None:
                message = f"unit content for outcome {heading[0]}, which has no criteria"
                self._warn(ln.number, message)
        elif self.text_target is None:
            self._warn(ln.number, f"text not placed: {_excerpt(ln.text)!r}")
        else:
            self._add_to_text_target(ln)
        return True

    def _add_to_text_target(self, ln: _Line) -> None:
        """Section or unit content text; a sign-off line in between does not redirect it."""
        if self.sink is None or self.sink.target is not self.text_target:
            self.text_target.new_block()
            self.sink = _Sink("paras", self.text_target)
        for cell, bullet in zip(ln.cells, ln.bullets, strict=True):
            self.sink.add(cell, bullet=bullet)

    # ----------------------------------------------------------------- table cells

    def _on_cells(self, ln: _Line, start: int = 0) -> None:
        row_last = None  # (kind, object) made by the previous cell of this row
        for index in range(start, len(ln.cells)):
            row_last = self._on_cell(ln, index, row_last)

    def _on_cell(self, ln: _Line, index: int, row_last):
        cell = ln.cells[index]
        criterion = _match_criterion(cell)
        if criterion:
            crit = self._add_criterion(*criterion, ln.number)
            self.prev_kind = "criterion"
            return ("criterion", crit)
        outcome = _match_outcome(cell)
        if outcome:
            made = self._add_outcome(*outcome, ln.number)
            if made is not None:
                return ("outcome", made)
            if not _has_words(cell):
                return row_last  # a stray "1." left behind by a merged cell
        self._place_text(ln, cell, ln.bullets[index], row_last)
        return row_last

    def _place_text(self, ln: _Line, cell: str, bullet: bool, row_last) -> None:
        sink = self.sink
        if sink is not None and sink.awaiting:
            self._fill(sink, cell, ln.number)
        elif row_last is not None and row_last[0] == "outcome":
            self._merge_title(row_last[1], cell, ln.number)
        elif row_last is not None and row_last[0] == "criterion":
            self._criterion_extra(row_last[1], cell)
        elif sink is not None and sink.collects:
            sink.add(cell, bullet=bullet)
        elif self.mode == "closed":
            pass  # the boxes after the closing comments hold nothing to import
        elif sink is not None and sink.kind == "criterion" and bullet:
            _append_list_item(sink.target, cell)
        elif self.layout == "guidance" and self.outcome is not None:
            self.sink = _Sink("paras", self.unit.paragraphs(self.outcome, "guidance"))
            self.sink.target.new_block()
            self.sink.add(cell, bullet=bullet)
        else:
            self._warn(ln.number, f"text not placed: {_excerpt(cell)!r}")

    def _criterion_extra(self, crit: ParsedCriterion, cell: str) -> None:
        """Text in a later cell of a criterion's row: its guidance or range column."""
        if self.layout == "guidance":
            # Guidance documents merge that column over the whole outcome.
            self.sink = _Sink("paras", self.unit.paragraphs(self.outcome, "guidance"))
            self.sink.add(cell)
        else:
            crit.guidance = f"{crit.guidance} {cell}".strip()
            self.sink = _Sink("crit_guidance", crit)

    def _merge_title(self, outcome: ParsedOutcome, cell: str, line: int) -> None:
        """The cell after an outcome's title on the same row.

        PDF exports sometimes leave a clipped copy of the title in the number cell ("4. Be abl"
        then "Be able to deliver customer service."); the full text wins.
        """
        if cell.lower().startswith(outcome.title.lower()):
            self._set_outcome_title(outcome, cell, line)
        elif not outcome.title.lower().startswith(cell.lower()):
            self._set_outcome_title(outcome, f"{outcome.title} {cell}", line)
        self.sink = _Sink("title", outcome)

    def _fill(self, sink: _Sink, text: str, line: int) -> None:
        """Give a bare marker ("AC 1.1", "LO 2") the text that followed it."""
        sink.awaiting = False
        if sink.kind == "criterion":
            self._set_criterion_text(sink.target, text, line)
        elif sink.kind == "title":
            self._set_outcome_title(sink.target, _LEAD_IN.sub("", text), line)
        else:
            sink.add(text)

    # ----------------------------------------------------------------- outcomes & criteria

    def _add_outcome(self, number: str, title: str, explicit: bool, line: int):
        unit = self._ensure_unit(line)
        outcome = unit.outcome(number)
        if outcome is not None:
            if not title and outcome.title and not explicit:
                return None  # a stray number from a merged cell ("1." inside outcome 2)
            if title and outcome.title and not _same_text(title, outcome.title):
                self._warn(line, f"outcome {number} appears again with a different title")
        else:
            expected = max((int(o.number) for o in unit.unit.outcomes), default=0) + 1
            # Implicit numbers ("3 ...") must come in sequence or read like an outcome.
            if not explicit and int(number) != expected and not _outcome_kind(title):
                return None
            outcome = ParsedOutcome(number=number, title="", line=line)
            unit.unit.outcomes.append(outcome)
        self.outcome = outcome
        if self.mode == "closed":
            self.mode = "table"
        self.sink = _Sink("title", outcome, awaiting=not (outcome.title or title))
        if title and not outcome.title:
            self._set_outcome_title(outcome, title, line)
        return outcome

    def _set_outcome_title(self, outcome: ParsedOutcome, title: str, line: int) -> None:
        """Set the title, splitting off a first criterion run into it ("... 3.1 Communicate")."""
        title, criteria = _split_embedded(title, outcome.number, 1)
        outcome.title = title
        for number, text in criteria:
            self._add_criterion(number, text, line)

    def _add_criterion(self, number: str, text: str, line: int) -> ParsedCriterion:
        state = self._ensure_unit(line)
        previous = state.criterion_lines.get(number)
        if previous is not None:
            raise SpecParseError(
                f"duplicate criterion {number} in unit {_unit_label(state.unit)} "
                f"(lines {previous} and {line})",
                line=line,
            )
        state.criterion_lines[number] = line
        major = number.split(".")[0]
        outcome = state.outcome(major)
        if outcome is None:  # checklists give criteria only; the outcome is their prefix
            outcome = ParsedOutcome(number=major, title="", line=line)
            state.unit.outcomes.append(outcome)
        crit = ParsedCriterion(number=number, text="", line=line)
        outcome.criteria.append(crit)
        self.outcome = outcome
        if self.mode == "closed":
            self.mode = "table"
        self.sink = _Sink("criterion", crit, awaiting=not text)
        if text:
            self._set_criterion_text(crit, text, line)
        return crit

    def _set_criterion_text(self, crit: ParsedCriterion, text: str, line: int) -> None:
        """Set the text, splitting off "4.2 ...", "4.3 ..." run together on the same line."""
        major, minor = crit.number.split(".")
        crit.text, more = _split_embedded(text, major, int(minor) + 1)
        for number, more_text in more:
            self._add_criterion(number, more_text, line)

    # ----------------------------------------------------------------- finishing

    def _finish(self) -> ParseResult:
        self._drop_unit_listings()
        if not any(s.unit.code or s.unit.title or s.criterion_lines for s in self.units):
            raise SpecParseError(_NOTHING_FOUND)
        self._check_complete()
        units = [self._finish_unit(state) for state in self.units]
        if len(units) > 1 and any(unit.mandatory is not None for unit in units):
            for unit in units:  # the document marks mandatory units; the rest are optional
                unit.mandatory = bool(unit.mandatory)
        self._structure_warnings()
        q = self.qualification
        return ParseResult(
            layout=self.layout,
            qualification=q if (q.number or q.title) else None,
            units=units,
            warnings=[f"Line {line}: {message}" for line, message in sorted(self.warnings)],
        )

    def _drop_unit_listings(self) -> None:
        """Drop unit headings with no criteria that only list units.

        Handbooks list their units (three or more headings in a row, or a heading repeated
        later with its criteria); those entries are not units of their own.
        """
        with_criteria = [s.unit for s in self.units if s.criterion_lines]
        listings = [
            state
            for index, state in enumerate(self.units)
            if state.from_heading
            and not state.criterion_lines
            and (
                len(self._heading_run(index)) >= 3
                or any(self._same_unit(state, u.code, u.title) for u in with_criteria)
            )
        ]
        for state in listings:
            self.units.remove(state)
            label = _unit_label(state.unit)
            self._warn(state.unit.line, f"unit {label} listed without criteria: skipped")

    def _heading_run(self, index: int) -> list[_UnitState]:
        """The run of directly consecutive unit headings that unit ``index`` belongs to."""
        start = index
        while start > 0 and self.units[start].follows_heading:
            start -= 1
        end = index
        while end + 1 < len(self.units) and self.units[end + 1].follows_heading:
            end += 1
        return self.units[start : end + 1]

    def _check_complete(self) -> None:
        """Refuse units without criteria and checklists cut off part way through."""
        closing = next((s.closing for s in self.units if s.closing), "")
        for index, state in enumerate(self.units):
            label = _unit_label(state.unit)
            line = state.unit.line
            is_last = index == len(self.units) - 1
            if is_last:
                where = f"; the file ends on line {self.last_line}"
            else:
                where = f"; the next unit starts on line {self.units[index + 1].unit.line}"
            not_closed = bool(closing) and not state.closing
            if not state.criterion_lines:
                cut = f" and is cut off before its {closing} block" if not_closed else ""
                raise SpecParseError(
                    f"unit {label} has no criteria{cut} (its heading must be followed by "
                    "numbered assessment criteria such as '1.1 ...')",
                    line=line,
                )
            if not_closed:
                raise SpecParseError(
                    f"unit {label} is cut off before its {closing} block{where}", line=line
                )
            ends_in_table = (
                is_last and self.layout == "learner_checklist" and self.prev_kind == "criterion"
            )
            if ends_in_table and not state.closing:
                raise SpecParseError(
                    f"unit {label} is cut off: the file ends inside its criteria table"
                    f" (line {self.last_line})",
                    line=line,
                )

    def _finish_unit(self, state: _UnitState) -> ParsedUnit:
        unit = state.unit
        unit.title = normalise_text(unit.title)
        unit.outcomes.sort(key=lambda o: int(o.number))
        for outcome in unit.outcomes:
            outcome.criteria.sort(key=lambda c: int(c.number.split(".")[1]))
            outcome.title = normalise_text(outcome.title)
            outcome.kind = _outcome_kind(outcome.title)
            for crit in outcome.criteria:
                crit.text = normalise_text(crit.text)
                crit.guidance = normalise_text(crit.guidance)
            for attr in ("guidance", "content"):
                paragraphs = state.outcome_text.get((outcome.number, attr))
                setattr(outcome, attr, paragraphs.render() if paragraphs else "")
            outcome.evidence_methods = _evidence_items(state.evidence.get(outcome.number, []))
        for name in ("assessment_guidance", "additional_information", "notes"):
            text = state.sections[name].render() if name in state.sections else ""
            setattr(unit, name, "" if _is_none_value(text) else text)
        return unit

    def _structure_warnings(self) -> None:
        untitled = [(s, o) for s in self.units for o in s.unit.outcomes if not o.title]
        all_outcomes = sum(len(s.unit.outcomes) for s in self.units)
        if untitled and len(untitled) == all_outcomes:
            self._warn(
                self.units[0].unit.line,
                "the document gives no outcome titles; outcomes are numbered from their criteria",
            )
        else:
            for state, outcome in untitled:
                label = _unit_label(state.unit)
                self._warn(outcome.line, f"unit {label}: outcome {outcome.number} has no title")
        for state in self.units:
            self._unit_warnings(state)

    def _unit_warnings(self, state: _UnitState) -> None:
        unit = state.unit
        label = _unit_label(unit)
        if not unit.title:
            self._warn(unit.line, "unit has no title")
        if not unit.code:
            self._warn(unit.line, "unit has no code")
        if state.expected_outcomes and state.expected_outcomes[0] != len(unit.outcomes):
            expected, line = state.expected_outcomes
            found = len(unit.outcomes)
            self._warn(line, f"unit {label}: says {expected} outcomes but {found} were found")
        previous = 0
        for outcome in unit.outcomes:
            if int(outcome.number) != previous + 1:
                self._warn(
                    outcome.line,
                    f"unit {label}: outcome {outcome.number} follows "
                    f"{previous or 'the start'} (numbering gap)",
                )
            previous = int(outcome.number)
            self._criteria_warnings(label, outcome)

    def _criteria_warnings(self, label: str, outcome: ParsedOutcome) -> None:
        previous = f"{outcome.number}.0"
        for crit in outcome.criteria:
            expected = int(previous.split(".")[1]) + 1
            if int(crit.number.split(".")[1]) != expected:
                self._warn(
                    crit.line,
                    f"unit {label}: criterion {crit.number} follows {previous} (numbering gap)",
                )
            if not crit.text:
                self._warn(crit.line, f"unit {label}: criterion {crit.number} has no text")
            previous = crit.number


def _split_inline_meta(mapped: tuple[str, str], value: str) -> list[tuple[str, str, str]]:
    """Split "Level: 2  Credit: 1  GLH: 8", several labels run together in one cell."""
    pairs = []
    key, name = mapped
    while True:
        following = next(
            ((m, _meta_key(m[1])) for m in _INLINE_META.finditer(value) if _meta_key(m[1])),
            None,
        )
        if following is None:
            pairs.append((key, name, value.strip()))
            return pairs
        match, (next_key, next_name) = following
        pairs.append((key, name, value[: match.start()].strip()))
        key, name, value = next_key, next_name, value[match.end() :]


def _append_list_item(crit: ParsedCriterion, item: str) -> None:
    """A bulleted list under a criterion ("Describe: - a - b") becomes part of its text."""
    separator = " " if crit.text.endswith(":") else "; "
    crit.text = f"{crit.text}{separator}{item}"


def _evidence_items(chunks: list[str]) -> list[str]:
    """Split "Observation, witness testimony, customer records*" into capitalised items."""
    items: list[str] = []
    for chunk in chunks:
        for part in re.split(r"[,;]", chunk):
            part = normalise_text(part)
            part = re.sub(r"\s*\.(?=\*?$)", "", part)  # a full stop, also before a "*" marker
            if _has_words(part):
                part = part[0].upper() + part[1:]
                if part not in items:
                    items.append(part)
    return items


# --------------------------------------------------------------------------- public API


def read_text(text: str) -> ParseResult:
    """Read one document in the handbook layouts; raises SpecParseError, never returns partial."""
    return _Parser(text).run()


# --------------------------------------------------------------------------- as a family

NAME = "handbook"
PLAIN = "an awarding body's unit specification or checklist"
_PLAIN_LAYOUTS = {
    "learner_checklist": "a learner achievement checklist",
    "assessment_checklist": "an assessment checklist",
    "unit_spec": "a unit specification",
    "guidance": "a guidance and range document",
    "outcome_table": "an outcome and criteria table",
    "generic": "an awarding body's unit specification or checklist",
}
_CUES = [
    (re.compile(p, re.I | re.M), weight, reason)
    for p, weight, reason in [
        (
            r"achievement\s+checklist|portfolio\s+reference|tutor\s+(?:comments|feedback)",
            0.5,
            "checklist columns (portfolio reference, tutor comments)",
        ),
        (
            r"guidelines\s+and\s+range|evidence\s+may\s+be\s+supplied\s+by",
            0.5,
            "guidance and range for each outcome",
        ),
        (r"^\s*AC\s*\d+\.\d+", 0.4, "criteria marked AC 1.1"),
        (r"<p>|evidence\s+type", 0.4, "an outcome table with evidence columns"),
        (rf"^\s*{_UNIT_CODE}\s+\S", 0.3, "unit headings led by their Ofqual code"),
        (
            r"^(?:unit\s+title|title|level|credit\s+value|guided\s+learning\s+hours|unit\s+reference"
            r"|ofqual\s+unit\s+code)[ ]*[:\t][ \t]*\S",
            0.35,
            "labelled metadata with its value alongside",
        ),
        (
            r"^\s*(?:learning\s+outcome\s*\d|LO\s*\d|\d\.?\s+(?:understand|be able|know))",
            0.25,
            "numbered learning outcomes",
        ),
    ]
]


def plain_layout(layout: str) -> str:
    return _PLAIN_LAYOUTS.get(layout, PLAIN)


def score(doc: Doc) -> Score:
    return score_cues(doc.raw, _CUES)


def read(doc: Doc) -> Read:
    result = read_text(doc.raw)
    warnings = []
    for warning in result.warnings:
        match = re.match(r"Line (\d+): (.*)$", warning, re.S)
        warnings.append((int(match[1]), match[2]) if match else (1, warning))
    count = sum(unit.criteria_count for unit in result.units)
    return Read(
        units=result.units,
        warnings=warnings,
        qualification=result.qualification,
        layout=result.layout,
        numbered=count,
        taken=count,
    )
