"""Step 4: read a numbered hierarchy of outcomes and criteria out of segmented lines.

One reader serves every family; a family's ``Rules`` say which numbering it uses, which lines are
page furniture and which sections hold no criteria. Everything that looks numbered but is not
taken is reported with its line, so nothing is lost without a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualifications.importer.results import ParsedCriterion, ParsedOutcome
from qualifications.importer.segment import Line

_HEAD_OF_CRITERION = (
    r"(?:(?:AC|A\.C\.|assessment\s+criteri(?:on|a)|performance\s+criteri(?:on|a))\s*)?"
)
DOTTED = re.compile(
    rf"^{_HEAD_OF_CRITERION}(?P<a>\d{{1,3}}|\d[a-zA-Z]{{2}})\s?\.\s?(?P<b>\d{{1,2}})"
    r"(?:\.(?P<c>\d{1,2}))?\.?(?=[\s:)\-\u2013]|$)[\s:)\-\u2013]*(?P<text>.*)$",
    re.I,
)
GRADED = re.compile(
    r"^\[?(?P<g>[PMD])\s?(?P<n>\d{1,2})\]?(?=[\s:.)\-\u2013]|$)[\s:.)\-\u2013]*(?P<text>.*)$"
)
_CODED = r"^(?P<g>{codes})\s?(?P<n>\d{{1,2}})(?=[\s:.)\-\u2013]|$)[\s:.)\-\u2013]*(?P<text>.*)$"
OUTCOME = re.compile(
    r"^(?:learning\s+outcome|outcome|LO|element)\s*(?P<n>\d{1,2})\b\s*[:.)\-\u2013]?\s*(?P<text>.*)$",
    re.I,
)
# How learning outcomes are worded, for outcome titles a document leaves unnumbered.
OUTCOME_WORDING = re.compile(r"^(?:know|understand|be\s+able\s+to|be\s+aware)\b", re.I)
NUMBERED = re.compile(r"^(?P<n>\d{1,2})\s*[.):]?(?=\s|$)\s*(?P<text>.*)$")
SUB_ITEM = re.compile(
    r"^\(?(?P<l>[a-h]|i{1,3}|iv|v|vi{1,3})\)\s*(?P<t>\S.*)$|^(?P<l2>[a-h])\.\s+(?P<t2>\S.*)$"
)
LOOKS_NUMBERED = re.compile(r"^(?:[A-Z]{1,2}\s?)?\d{1,3}(?:\s?\.\s?\d{1,2})*\.?(?=[\s:)]|$)")
LEAD_IN = re.compile(
    r"^(?:the\s+)?(?:learner|candidate|student|you)s?\s+(?:will|can|should|must)"
    r"(?:\s+be\s+able\s+to)?\s*:\s*",
    re.I,
)
REPEATED = "appears again"
PLTS = re.compile(r"\s*\[(?P<tag>[A-Z]{2}\d{0,2}(?:\s*,\s*[A-Z]{2}\d{0,2})*)\]")
_GRADES = {"P": "pass", "M": "merit", "D": "distinction"}
_HEADER_WORDS = {
    "learning", "outcome", "outcomes", "assessment", "criteria", "criterion", "the", "learner",
    "will", "can", "to", "achieve", "pass", "merit", "distinction", "grade", "grading", "a",
    "evidence", "must", "show", "that", "is", "able", "in", "addition", "and", "performance",
    "ref", "reference", "portfolio", "date", "assessor", "initials", "element", "elements",
    "method", "methods", "page", "no", "of", "candidate", "met", "pc", "lo", "ac", "unit",
    "knowledge", "understanding", "s", "for", "be", "criteria:", "evidence:", "comments",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.;:!?]$")


@dataclass
class Rules:
    """How one family numbers its criteria and which of its lines to leave alone."""

    # Criterion lists that restart at "1." under each outcome or element.
    restart: bool = False
    # Criteria P1/M1/D1 by grade band, with no outcomes.
    grades: bool = False
    # Page furniture and boilerplate: skipped, never warned about.
    skip: tuple[re.Pattern, ...] = ()
    # Headings after which numbered lines are not criteria, and those that start them again.
    off: re.Pattern | None = None
    on: re.Pattern | None = None
    # Heading of the unit content: outcomes repeated with amplification lines.
    content: re.Pattern | None = None
    # A line at which the unit ends (the next form's title, a sign-off block).
    end: re.Pattern | None = None
    # A wrapped line joins the criterion above when the line above was at least this long.
    wrap_width: int = 55
    # Letter codes of criteria (K3), and the outcome each code letter files its criteria under.
    codes: str = "K|S|PC|KU"
    code_outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)
    # "(a)", "(b)" under an outcome are its criteria (SQA), not parts of the criterion above.
    letter_criteria: bool = False
    # Criteria only come after an outcome (register pages): numbers above it are noise.
    outcomes_first: bool = False
    # Headings that stand for an outcome when the document numbers none ("Performance
    # criteria", "Knowledge and understanding" in SVQ units), each with its own list.
    heading_outcomes: re.Pattern | None = None


@dataclass
class Reading:
    outcomes: list[ParsedOutcome] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    numbered: int = 0  # numbered-looking lines seen
    taken: int = 0  # ... of which were read as outcomes or criteria

    def outcome(self, number: str) -> ParsedOutcome | None:
        return next((o for o in self.outcomes if o.number == number), None)


def is_header(text: str) -> bool:
    """Column headings ("Learning outcomes", "The learner can:"), not content."""
    if re.search(r"\d", text):
        return False
    words = re.findall(r"[a-z:]+", LEAD_IN.sub("", text.lower()).replace("-", " "))
    return all(w in _HEADER_WORDS for w in words)


def excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def join_wrapped(text: str, more: str) -> str:
    """Join a wrapped line, and a word hyphenated across the break ("organi-" "sation")."""
    if re.search(r"[a-z]-$", text) and more[:1].islower():
        return text[:-1] + more
    return f"{text} {more}".strip()


def _split_run_together(text: str, grades: bool) -> list[str]:
    """ "P1 describe … M1 explain …" or "1.1 Describe … 1.2 Explain …" on one line."""
    if grades and GRADED.match(text):
        parts = re.split(r"\s+(?=\[?[PMD]\d{1,2}\]?\s+\S)", text)
        return [p for p in parts if p]
    match = DOTTED.match(text)
    if not match or match["c"]:
        return [text]
    parts, rest, minor = [], text, int(match["b"])
    while True:
        following = re.search(rf"\s(?={match['a']}\.{minor + 1}\s+[A-Z])", rest)
        if not following:
            parts.append(rest)
            return parts
        parts.append(rest[: following.start()])
        rest, minor = rest[following.end() :], minor + 1


class _Reader:
    def __init__(self, lines: list[Line], rules: Rules, skip_lines: set[int]):
        self.lines = lines
        self.rules = rules
        self.skip_lines = skip_lines
        self.reading = Reading()
        self.outcome: ParsedOutcome | None = None
        self.crit: ParsedCriterion | None = None
        self.awaiting: str = ""  # "title" or "criterion": a bare number waits for its text
        self.mode = "criteria"  # criteria | off | content
        self.content_outcome: ParsedOutcome | None = None
        self.content_lines: dict[str, list[str]] = {}
        self.heading_outcome = False  # the current outcome stands for a heading
        self.row_title = ""  # an unnumbered outcome title in the first cell of a table row
        self.loose_title = ""  # an unnumbered line that reads like an outcome ("Know ...")
        self.prev_raw = ""
        self.seen_numbers: dict[str, int] = {}
        self.restart_numbers = self._restart_numbers()
        self.coded = re.compile(_CODED.format(codes=rules.codes))

    def _restart_numbers(self) -> list[tuple[int, int]]:
        """(line, number) of every line that starts with a single number: the lookahead that
        tells an element ("2. Title" followed by a list restarting at 1.) from a criterion."""
        found = []
        for line in self.lines:
            if self.rules.off is not None and self.rules.off.match(line.text.rstrip(":")):
                found.append((line.number, 0))  # no element follows from beyond here
            for cell in line.cells:
                match = NUMBERED.match(cell)
                if match and not DOTTED.match(cell):
                    found.append((line.number, int(match["n"])))
        return found

    def _next_single_number(self, after: int) -> int | None:
        return next((n for line, n in self.restart_numbers if line > after), None)

    def warn(self, line: int, message: str) -> None:
        self.reading.warnings.append((line, message))

    # ----------------------------------------------------------------- lines

    def run(self) -> Reading:
        for line in self.lines:
            if line.blank:
                if self.awaiting == "":
                    self.prev_raw = ""
                continue
            if self._heading_outcome(line):
                continue
            if line.number in self.skip_lines or any(p.search(line.text) for p in self.rules.skip):
                continue
            if self.rules.end and self.seen_numbers and self.rules.end.search(line.text):
                self.warn(line.number, f"the unit ends here: '{excerpt(line.text)}' not read")
                break
            if self._section(line):
                continue
            if self.mode == "content":
                self._content(line)
            elif self.mode == "off":
                if LOOKS_NUMBERED.match(line.text):
                    self.reading.numbered += 1
                    self.warn(
                        line.number,
                        f"'{excerpt(line.text)}' is in a section without criteria: not read",
                    )
            else:
                self.row_title = self._row_title(line)
                for cell in line.cells[1:] if self.row_title else line.cells:
                    for part in _split_run_together(cell, self.rules.grades):
                        self._cell(line, part)
                self.row_title = ""
            self.prev_raw = line.raw.strip()
        return self.reading

    def _heading_outcome(self, line: Line) -> bool:
        pattern = self.rules.heading_outcomes
        if pattern is None or not pattern.match(line.text.rstrip(":")):
            return False
        if self.outcome is not None and not self.heading_outcome:
            return False  # under a numbered outcome the heading only starts its criteria
        title = line.text.rstrip(":").strip()
        outcome = next((o for o in self.reading.outcomes if o.title.lower() == title.lower()), None)
        if outcome is None:
            number = str(len(self.reading.outcomes) + 1)
            outcome = ParsedOutcome(
                number=number, title=title[:1].upper() + title[1:].lower(), line=line.number
            )
            self.reading.outcomes.append(outcome)
        self.outcome, self.crit, self.awaiting = outcome, None, ""
        self.mode, self.heading_outcome = "criteria", True
        return True

    @staticmethod
    def _row_title(line: Line) -> str:
        """ "Understand the law | 1.1 describe ...": the row's first cell titles the outcome of
        the criterion beside it, though the table gives the outcome no number."""
        if not line.in_table or len(line.cells) < 2 or not DOTTED.match(line.cells[1]):
            return ""
        first = line.cells[0]
        if LOOKS_NUMBERED.match(first) or DOTTED.match(first) or OUTCOME.match(first):
            return ""
        return "" if is_header(first) else LEAD_IN.sub("", first).strip()

    def _section(self, line: Line) -> bool:
        text = line.text.rstrip(":")
        for name, pattern in (
            ("on", self.rules.on),
            ("content", self.rules.content),
            ("off", self.rules.off),
        ):
            if pattern is not None and pattern.match(text):
                self.mode = "criteria" if name == "on" else name
                self.awaiting, self.crit = "", None
                if name == "on" and self.rules.grades:
                    # A grading grid under a list of outcomes does not belong to the last one.
                    self.outcome = None
                return True
        return False

    def _content(self, line: Line) -> None:
        match = OUTCOME.match(line.text) or NUMBERED.match(line.text)
        if match and not DOTTED.match(line.text):
            outcome = self.reading.outcome(str(int(match["n"])))
            if outcome is not None:
                self.content_outcome = outcome
                return
        if LOOKS_NUMBERED.match(line.text):
            self.reading.numbered += 1
            self.warn(
                line.number, f"'{excerpt(line.text)}' in the unit content: not read as a criterion"
            )
        if self.content_outcome is not None:
            kept = self.content_lines.setdefault(self.content_outcome.number, [])
            kept.append(line.text)

    # ----------------------------------------------------------------- cells

    def _cell(self, line: Line, cell: str) -> None:
        if LOOKS_NUMBERED.match(cell) or DOTTED.match(cell):
            self.reading.numbered += 1
            if self._numbered(line, cell):
                self.reading.taken += 1
                return
            self.warn(line.number, f"'{excerpt(cell)}' looks numbered but was not read")
            return
        if OUTCOME.match(cell) and self._outcome_line(line, OUTCOME.match(cell), explicit=True):
            self.reading.numbered += 1
            self.reading.taken += 1
            return
        if is_header(cell):
            return
        self._text(line, cell)

    def _numbered(self, line: Line, cell: str) -> bool:
        match = DOTTED.match(cell)
        if match:
            return self._dotted(line, match, cell)
        match = GRADED.match(cell) if self.rules.grades else None
        if match:
            number = f"{match['g']}{int(match['n'])}"
            outcome = self.outcome.number if self.outcome else "1"
            return self._criterion(line, outcome, number, match["text"], grade=_GRADES[match["g"]])
        match = self.coded.match(cell)
        if match:
            number = f"{match['g']}{int(match['n'])}"
            outcome = self.outcome.number if self.outcome else "1"
            if match["g"] in self.rules.code_outcomes:
                outcome, title = self.rules.code_outcomes[match["g"]]
                if self.reading.outcome(outcome) is None:
                    self.reading.outcomes.append(ParsedOutcome(outcome, title, line.number))
            return self._criterion(line, outcome, number, match["text"])
        match = OUTCOME.match(cell)
        if match:
            return self._outcome_line(line, match, explicit=True)
        match = NUMBERED.match(cell)
        if match:
            return self._single(line, match, cell)
        return False

    def _dotted(self, line: Line, match: re.Match, cell: str) -> bool:
        a, b, c = match["a"], match["b"], match["c"]
        if int(b) == 0 or (c is not None and int(c) == 0):
            return False  # "1.0" is a version, never a criterion
        if self.rules.outcomes_first and not self.reading.outcomes:
            return False  # a number above the first outcome ("15.2 Administration") is noise
        if c is not None and (len(a) == 3 or not a.isdigit()):
            # unit.group.item on recording forms: 301.1.3 is outcome 1, criterion 1.3
            label = cell[match.start("a") : match.end("c")]
            outcome, number = str(int(b)), f"{int(b)}.{int(c)}"
        elif c is not None:
            outcome, number, label = str(int(a)), f"{int(a)}.{int(b)}.{int(c)}", ""
        elif not a.isdigit() or len(a) == 3:
            return False
        else:
            outcome, number = str(int(a)), f"{int(a)}.{int(b)}"
            end = match.end("b")
            printed = cell[match.start("a") : end] + ("." if cell[end : end + 1] == "." else "")
            label = printed if printed.replace(" ", "") != number else ""
        return self._criterion(line, outcome, number, match["text"], label=label)

    def _single(self, line: Line, match: re.Match, cell: str) -> bool:
        n = int(match["n"])
        text = match["text"]
        last = max((int(o.number) for o in self.reading.outcomes if o.number.isdigit()), default=0)
        restarting = self.outcome is not None and all(
            c.label == f"{i}." for i, c in enumerate(self.outcome.criteria, start=1)
        )
        if self.rules.restart and restarting:
            listed = len(self.outcome.criteria)
            next_single = self._next_single_number(line.number)
            starts_element = (
                not self.heading_outcome and n == last + 1 and (next_single == 1 or n != listed + 1)
            )
            if n == listed + 1 and not starts_element:
                number = f"{self.outcome.number}.{n}"
                label = cell.split()[0] if cell.split()[0].endswith(".") else f"{n}."
                return self._criterion(line, self.outcome.number, number, text, label=label)
        return self._outcome_line(line, match, explicit=False)

    def _outcome_line(self, line: Line, match: re.Match, *, explicit: bool) -> bool:
        n = int(match["n"])
        title = LEAD_IN.sub("", match["text"]).strip()
        last = max((int(o.number) for o in self.reading.outcomes if o.number.isdigit()), default=0)
        existing = self.reading.outcome(str(n))
        if existing is not None:
            if explicit or (title and not existing.title):
                self.outcome, self.crit = existing, None
                if title and not existing.title:
                    existing.title = title
                self.awaiting = "" if existing.title else "title"
                return True
            return False
        if not explicit and n != last + 1:
            return False
        outcome = ParsedOutcome(number=str(n), title=title, line=line.number)
        self.reading.outcomes.append(outcome)
        self.outcome, self.crit, self.heading_outcome = outcome, None, False
        self.awaiting = "" if title else "title"
        return True

    def _criterion(
        self,
        line: Line,
        outcome_number: str,
        number: str,
        text: str,
        *,
        label: str = "",
        grade: str = "",
    ) -> bool:
        if number in self.seen_numbers:
            self.warn(
                line.number,
                f"criterion {number} {REPEATED} (first on line {self.seen_numbers[number]})",
            )
            return True
        self.seen_numbers[number] = line.number
        outcome = self.reading.outcome(outcome_number)
        if outcome is None:
            title = self.row_title or self.loose_title
            outcome = ParsedOutcome(number=outcome_number, title=title, line=line.number)
            self.reading.outcomes.append(outcome)
        tags = [m["tag"] for m in PLTS.finditer(text)]
        text = LEAD_IN.sub("", PLTS.sub("", text)).strip()
        crit = ParsedCriterion(
            number=number, text=text, line=line.number, label=label, grade=grade, tags=tags
        )
        outcome.criteria.append(crit)
        self.outcome, self.crit, self.loose_title = outcome, crit, ""
        self.awaiting = "" if text else "criterion"
        return True

    def _text(self, line: Line, text: str) -> None:
        if self.awaiting == "title" and self.outcome is not None:
            self.outcome.title = LEAD_IN.sub("", text).strip()
            self.awaiting = "" if self.outcome.title else "title"
            return
        if self.awaiting == "criterion" and self.crit is not None:
            self._add_to_criterion(text)
            self.awaiting = "" if self.crit.text else "criterion"
            return
        sub = SUB_ITEM.match(text)
        if sub and self.rules.letter_criteria and self.outcome is not None:
            letter = sub["l"] or sub["l2"]
            self.reading.numbered += 1
            self.reading.taken += 1
            number = f"{self.outcome.number}.{ord(letter) - ord('a') + 1}"
            self._criterion(
                line, self.outcome.number, number, sub["t"] or sub["t2"], label=f"({letter})"
            )
            return
        if sub and self.crit is not None:
            self.crit.text = f"{self.crit.text} {sub['l'] or sub['l2']}) {sub['t'] or sub['t2']}"
            return
        if self.crit is not None and self._wraps(text):
            self._add_to_criterion(text)
            return
        if self.outcome is not None and not self.outcome.criteria and self._wraps(text):
            self.outcome.title = join_wrapped(self.outcome.title, text)
        elif OUTCOME_WORDING.match(text) and len(text) <= 200:
            self.loose_title = text

    def _add_to_criterion(self, text: str) -> None:
        self.crit.tags.extend(m["tag"] for m in PLTS.finditer(text))
        self.crit.text = join_wrapped(self.crit.text, PLTS.sub("", text).strip())

    def _wraps(self, text: str) -> bool:
        """A line continues the one above: it starts in lower case, or the line above was cut
        at the page width in mid-sentence."""
        if not self.prev_raw:
            return False
        if text[:1].islower():
            return True
        return len(self.prev_raw) >= self.rules.wrap_width and not _SENTENCE_END.search(
            self.prev_raw
        )

    def finish(self) -> Reading:
        for number, texts in self.content_lines.items():
            self.reading.outcome(number).content = "\n".join(texts)
        if self.rules.grades:
            # Flattened grids interleave the bands (P1 M1 P2 P3 M2 D1): list them band by band.
            order = {"pass": 0, "merit": 1, "distinction": 2}
            for outcome in self.reading.outcomes:
                if all(c.grade for c in outcome.criteria):
                    outcome.criteria.sort(key=lambda c: (order[c.grade], int(c.number[1:])))
            empty = [o for o in self.reading.outcomes if not o.criteria]
            holder = next((o for o in self.reading.outcomes if o.criteria), None)
            if empty and holder is not None:
                self.warn(
                    holder.line,
                    "the grading grid does not say which outcome each criterion belongs to; "
                    f"they are listed under outcome {holder.number}",
                )
        return self.reading


def read_hierarchy(
    lines: list[Line], rules: Rules, *, skip_lines: set[int] = frozenset()
) -> Reading:
    reader = _Reader(lines, rules, set(skip_lines))
    reader.run()
    return reader.finish()
