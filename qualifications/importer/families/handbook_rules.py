"""The handbook reader's recognisers: how its lines, labels, headings and boilerplate look.

The other half of ``handbook``: that module's state machine asks these small functions and
patterns what each line is. Kept apart so each module reads as one topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualifications.importer.normalise import BULLET_CHARS, normalise_text
from qualifications.importer.results import ParsedUnit

# --------------------------------------------------------------------------- paragraphs


class _Paragraphs:
    """Free text (guidance, unit content, notes) kept as paragraphs and "- " bullet lines."""

    def __init__(self) -> None:
        self._blocks: list[list[tuple[str, bool]]] = [[]]

    def add(self, text: str, *, bullet: bool = False) -> None:
        if text:
            self._blocks[-1].append((text, bullet))

    def new_block(self) -> None:
        if self._blocks[-1]:
            self._blocks.append([])

    def render(self) -> str:
        paragraphs: list[str] = []
        for block in self._blocks:
            paragraphs.extend(_block_paragraphs(block))
        return "\n\n".join(paragraphs)


def _looks_like_heading(text: str) -> bool:
    """Short label lines such as "Needs" or "Brand promise" head the definition below them."""
    return len(text.split()) <= 6 and text[-1] not in ".,;:!?"


def _block_paragraphs(block: list[tuple[str, bool]]) -> list[str]:
    """Split one blank-line separated block into paragraphs.

    Wrapped lines are joined with spaces; bullets stay separate lines; a short heading line
    at the start of a block (or after a list) becomes its own paragraph when the next line
    starts a sentence, so "Needs / What the customer must have" does not run together.
    """
    paragraphs: list[list[str]] = []
    last = ""  # "heading", "text" or "bullet"
    for text, bullet in block:
        wraps = text[:1].islower()
        if bullet:
            if not paragraphs:
                paragraphs.append([])
            paragraphs[-1].append("- " + text)
            last = "bullet"
        elif paragraphs and (last == "text" or wraps):
            paragraphs[-1][-1] += " " + text
            last = "text"
        else:
            paragraphs.append([text])
            last = "heading" if _looks_like_heading(text) else "text"
    return ["\n".join(lines) for lines in paragraphs]


# --------------------------------------------------------------------------- reading lines


@dataclass
class _Line:
    number: int
    cells: list[str]  # normalised, non-empty table cells (tab separated in the export)
    bullets: list[bool]  # whether each cell started with a bullet character
    indented: bool  # starts with a tab: a new table cell rather than a wrapped line
    heading: bool  # markdown "## ..." heading

    @property
    def text(self) -> str:
        return " ".join(self.cells)


_HTML_BLOCK = re.compile(r"</?(?:p|li|ul|ol|div|tr|td|th)(?:\s[^<>]*)?>|<br\s*/?>", re.I)
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_MD_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_BULLET_START = re.compile(rf"^\s*(?:[{BULLET_CHARS}]|[-*]\s)")


def _read_lines(text: str) -> list[_Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if _MD_RULE.match(raw):
            raw = ""
        heading = bool(_MD_HEADING.match(raw))
        body = _MD_HEADING.sub("", raw)
        # HTML paragraphs inside a cell hold one criterion each: treat them as cells.
        body = _HTML_BLOCK.sub("\t", body)
        if body.strip().startswith("|") and body.strip().endswith("|"):
            body = body.replace("|", "\t")  # markdown table row
        cells, bullets = [], []
        for raw_cell in body.split("\t"):
            cell = normalise_text(raw_cell)
            if any(ch.isalnum() for ch in cell):  # drops stray bullets and rules
                cells.append(cell)
                bullets.append(bool(_BULLET_START.match(raw_cell)))
        indented = bool(re.match(r"^[ \u00a0]*\t", raw))
        lines.append(_Line(number, cells, bullets, indented, heading))
    return lines


# --------------------------------------------------------------------------- recognisers

_UNIT_CODE = r"[A-Z]/\d{3}/\d{4}"
_UNIT_CODE_RE = re.compile(rf"\b({_UNIT_CODE})\b")
_QUAL_NUMBER_RE = re.compile(r"\b(\d{3}/\d{4}/[\dX])\b")

_CRITERION = re.compile(r"^(?:AC|A\.C\.)?\s*(\d{1,2})\.(\d{1,2})\.?(?:[\s:)\-\u2013]+(.*)|$)", re.I)
_OUTCOME_EXPLICIT = re.compile(
    r"^(?:learning\s+outcome|outcome|LO)\s*(\d{1,2})\b\s*[:.)\-\u2013]?\s*(.*)$", re.I
)
_OUTCOME_IMPLICIT = re.compile(r"^(\d{1,2})[.):]?(?:\s+(.*))?$")
_LEAD_IN = re.compile(
    r"^(?:the\s+)?(?:learner|candidate|student)s?\s+(?:will|can|should|must)\s*:\s*", re.I
)
_KNOWLEDGE = re.compile(
    r"^(?:understand|know|be aware|have (?:an? )?(?:understanding|knowledge))\b", re.I
)
_COMPETENCE = re.compile(r"^(?:be able to|can)\b", re.I)

# Unit metadata labels.  Ofqual-style values go to ``code``; other codes are kept in
# ``other_codes`` under the awarding body's name ("LASER") or, failing that, the label.
_BODY_NAMES = (
    r"laser|ncfe|cache|ocr|city\s*&\s*guilds|c\s*&\s*g|pearson|edexcel|btec|highfield|biiab"
    r"|aim|gateway|skillsfirst|vtct|nocn|tquk|proqual|icq|focus|open\s+awards|qualsafe|ilm|cmi"
)
_META_LABELS: list[tuple[str, str]] = [
    ("qual_title", r"qualification\s+(?:title|name)"),
    ("qual_number", r"qualification\s+(?:accreditation\s+)?(?:number|no\.?|code)|qan"),
    ("awarding_body", r"awarding\s+(?:body|organisation|organization)"),
    (
        "body_code",
        rf"(?P<body>{_BODY_NAMES})\s+(?:unit\s+)?(?:code|number|no\.?|ref(?:erence)?\.?)",
    ),
    (
        "code",
        r"(?:ofqual|qca|qcf|rqf)\s+(?:unit\s+)?(?:code|ref(?:erence)?\.?|number|no\.?)"
        r"(?:\s+number)?"
        r"|unit\s+(?:reference|ref\.?|accreditation|code|number|no\.?)(?:\s+(?:number|no\.?))?"
        r"|urn|uan",
    ),
    ("title", r"(?:unit\s+)?title(?:\s+of\s+(?:the\s+)?unit)?|unit\s+name"),
    ("level", r"(?:unit\s+)?(?:(?:qcf|rqf|nqf)\s+)?level(?:\s+of\s+(?:the\s+)?unit)?"),
    ("credit_value", r"(?:unit\s+)?credit(?:\s+value)?s?"),
    ("glh", r"(?:unit\s+)?guided\s+learning\s+hours|glh"),
]
_META_RES = [(key, re.compile(rf"^(?:{pattern})$", re.I)) for key, pattern in _META_LABELS]
_META_WITH_VALUE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z&.()\s]{0,60}?)\s*:\s*(?P<value>.*)$")
_INLINE_META = re.compile(r"\s([A-Za-z][A-Za-z&.\s]{0,40}?)\s*:\s*")
_UNIT_KEYS = {"code", "title", "level", "credit_value", "glh", "body_code"}

_UNIT_HEADER_CODE_FIRST = re.compile(
    rf"^(?:unit\s+)?(?P<code>{_UNIT_CODE})\s*[-\u2013:]?\s+(?P<title>[A-Z'\"(].*)$"
)
_UNIT_HEADER_CODE_LAST = re.compile(
    rf"^(?:unit\s+(?P<num>[A-Z]?\d{{1,3}}[A-Z]?)\s*[:.\-\u2013]?\s+)?(?P<title>[A-Z].*?)"
    rf"\s*[(\[]\s*(?P<code>{_UNIT_CODE})\s*[)\]]$",
    re.I,
)
_UNIT_HEADER_NUMBER = re.compile(
    r"^unit\s+(?P<num>[A-Z]?\d{1,3}[A-Z]?)\s*[:.\-\u2013]?\s+(?P<title>[A-Z].*)$", re.I
)
_MANDATORY_SUFFIX = re.compile(
    r"\s*(?:[-\u2013\u2014]\s*|\(\s*)(?P<kind>mandatory|optional)(?:\s+unit)?\s*\)?\s*$", re.I
)

# Column headings of outcome/criteria tables, matched on the letters alone because PDF exports
# split words across cells ("LE<tab>ARNING OUTCOMES").
_HEADER_WORDS = (
    "learningoutcomes?|outcomes?|assessmentcriteria|assessmentcriterion|criteria|criterion"
    "|assessment|the|learners?|candidates?|will|can|should|must|evidencetype|evidence"
    "|briefdescription|description|title|portfolioreferences?|portfolioref|references?|ref"
    "|pagenumbers?|datecompleted|dates?|met|notmet|comments?|guidelinesandrange|guidelines"
    "|range|and|of|lo|ac|methods?|achieved|initials|tick|signedoff"
)
_HEADER_LINE = re.compile(rf"^(?:{_HEADER_WORDS})+$")

_CLOSING = re.compile(
    r"^(?:tutor|assessor|teacher|trainer|lecturer)(?:'s)?\s+(?:comments?|feedback|remarks)\s*:?$",
    re.I,
)
_BOILERPLATE = [
    re.compile(pattern, re.I)
    for pattern in (
        r"^page\s+\d+(?:\s+of\s+\d+)?$",
        r"^\(?if sampled\)?$",
        r"^(?:internal|external)\s+(?:moderator|verifier|quality\s+assurer)(?:'s)?\s+comments?",
        r"^(?:learner|candidate|student)(?:'s)?\s+(?:comments?|feedback|declaration)\b",
        r"^if chosen for sampling",
        r"^please ensure these forms",
        r"^notes? to (?:learners|candidates|assessors|centres)\b",
        r"^(?:learner\s+)?(?:unit\s+)?achievement\s+checklist$",
        r"^this unit has \w+ learning outcomes?",
        r"^learners can enter the types of evidence",
        r"^in order to (?:pass|achieve) this unit",
        r"^the assessment criteria determine",
        r"^on completion of this unit",
        r"^the (?:candidate|learner|student)s? "
        r"(?:provides? evidence|will|can|should|must)\b.{0,60}:$",
        r"^centre\s+(?:name|number)\s*:",
    )
]
# Sign-off lines: "Learner name: ____", "Tutor Name, Signature", "Date:".
_SIGN_OFF = re.compile(
    r"^(?:(?:learner|candidate|student|assessor|tutor|internal verifier|iv|iqa|external verifier"
    r"|ev|eqa|moderator|internal moderator|external moderator|witness|employer|centre)(?:'s)?\s+)?"
    r"(?:name|signature|signed|sign|date)\b",
    re.I,
)
_PAGE_NUMBER = re.compile(r"^page\s+\d+(?:\s+of\s+\d+)?$", re.I)
_OUTCOME_COUNT = re.compile(r"^this unit has (\w+) learning outcomes?", re.I)
_WORD_NUMBERS = {
    word: number
    for number, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], start=1
    )
}

_SECTION_LABELS: list[tuple[str, str]] = [
    (
        "evidence",
        r"evidence\s+(?:may|could|might)\s+(?:be\s+supplied\s+by|include|come\s+from)"
        r"|suggested\s+evidence|possible\s+evidence(?:\s+sources)?",
    ),
    ("content", r"unit\s+content|indicative\s+content|unit\s+amplification|amplification|content"),
    (
        "assessment_guidance",
        r"assessment\s+guidance|guidance\s+(?:on|for)\s+assessment"
        r"|assessment\s+requirements?(?:\s+(?:or|and)\s+guidance)?(?:\s+specified\s+by.*)?"
        r"|evidence\s+requirements|assessment\s+strategy|delivery\s+guidance"
        r"|guidance\s+(?:on|for)\s+delivery",
    ),
    (
        "additional_information",
        r"additional\s+information(?:\s+about\s+(?:the|this)\s+unit)?|further\s+information"
        r"|details\s+of\s+the\s+relationship\s+.*|support\s+for\s+the\s+unit.*"
        r"|location\s+of\s+the\s+unit.*|relationship\s+to\s+(?:national\s+occupational"
        r"\s+standards|nos).*|links\s+to\s+nos",
    ),
    (
        "notes",
        r"notes?|unit\s+aims?(?:\(s\))?|aims?|unit\s+purpose(?:\s+and\s+aims?(?:\(s\))?)?"
        r"|purpose|unit\s+summary|unit\s+overview|overview|unit\s+introduction|introduction",
    ),
]
_SECTION_RES = [(name, re.compile(rf"^(?:{pattern})$", re.I)) for name, pattern in _SECTION_LABELS]

_QUAL_TITLE = re.compile(
    r"^(?P<body>.*?)\s*\b(?:level\s+(?P<level>\d)|entry\s+level)\b.*"
    r"\b(?:award|certificate|diploma|nvq|vrq|qualification)\b",
    re.I,
)


def _match_criterion(cell: str) -> tuple[str, str] | None:
    match = _CRITERION.match(cell)
    if not match:
        return None
    return f"{int(match[1])}.{int(match[2])}", (match[3] or "").strip()


def _match_outcome(cell: str) -> tuple[str, str, bool] | None:
    """Return (number, title, explicit) for "LO1 ...", "Learning outcome 1: ...", "1. ..."."""
    match = _OUTCOME_EXPLICIT.match(cell)
    if match:
        return str(int(match[1])), _LEAD_IN.sub("", match[2]).strip(), True
    match = _OUTCOME_IMPLICIT.match(cell)
    if match:
        title = (match[2] or "").strip()
        # "3 hours" or "2 or more" is not an outcome: titles start with a capital.
        if title and not (title[0].isupper() or title[0] in "'\""):
            return None
        return str(int(match[1])), _LEAD_IN.sub("", title).strip(), False
    return None


def _meta_key(label: str) -> tuple[str, str] | None:
    """Map a label such as "Ofqual Unit Code" to (key, name to file other codes under)."""
    label = " ".join(label.replace(":", " ").split())
    for key, regex in _META_RES:
        match = regex.match(label)
        if match:
            body = match.groupdict().get("body")
            return key, (" ".join(body.split()).upper() if body else label)
    return None


def _match_unit_header(text: str) -> tuple[str, str, str, bool | None] | None:
    """Return (code, title, unit number, mandatory) for a line that opens a unit."""
    mandatory = None
    suffix = _MANDATORY_SUFFIX.search(text)
    if suffix:
        mandatory = suffix["kind"].lower() == "mandatory"
        text = text[: suffix.start()].strip()
    for regex in (_UNIT_HEADER_CODE_FIRST, _UNIT_HEADER_CODE_LAST, _UNIT_HEADER_NUMBER):
        match = regex.match(text)
        if match:
            groups = match.groupdict()
            code = groups.get("code") or ""
            return code, match["title"].strip(), groups.get("num") or "", mandatory
    return None


def _match_section(cell: str) -> tuple[str, str] | None:
    """Return (section, inline text) for "Assessment guidance:", "Note:", "Unit content" ..."""
    label, colon, rest = cell.partition(":")
    for name, regex in _SECTION_RES:
        if regex.match(label.strip()) and (colon or not rest):
            return name, rest.strip()
    return None


def _is_header_line(ln: _Line) -> bool:
    if any(ch.isdigit() for ch in ln.text):  # "LO 1" is a marker, "LO" alone a heading
        return False
    letters = re.sub(r"[^a-z]", "", ln.text.lower())
    return bool(letters) and len(letters) <= 160 and bool(_HEADER_LINE.match(letters))


def _is_boilerplate(text: str) -> bool:
    if any(regex.search(text) for regex in _BOILERPLATE):
        return True
    if _SIGN_OFF.match(text):
        words = text.split()
        return "__" in text or len(words) <= 5 or ":" in " ".join(words[:3])
    return False


def _parse_int(value: str) -> int | None:
    match = re.search(r"\d+", value)
    return int(match[0]) if match else None


def _same_text(a: str, b: str) -> bool:
    """Equal apart from case, spacing and punctuation."""
    return re.findall(r"[a-z0-9]+", a.lower()) == re.findall(r"[a-z0-9]+", b.lower())


def _outcome_kind(title: str) -> str:
    if _KNOWLEDGE.match(title):
        return "knowledge"
    if _COMPETENCE.match(title):
        return "competence"
    return ""


def _excerpt(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _split_embedded(text: str, major: str, minor: int) -> tuple[str, list[tuple[str, str]]]:
    """Split "Evaluate X 4.2 Identify Y 4.3 Describe Z" at the next expected numbers only.

    Only the next number in sequence, followed by a capital, counts, so "BS 8477" or
    "version 2.0" inside a criterion are left alone.  Returns the leading text and the
    (number, text) pairs split off it.
    """
    pieces: list[tuple[str, str]] = []
    number, rest = "", text
    while match := re.search(rf"\s(?:AC\s*)?{major}\.{minor}\.?\s+(?=[A-Z])", rest):
        pieces.append((number, rest[: match.start()].strip()))
        number, rest = f"{major}.{minor}", rest[match.end() :]
        minor += 1
    pieces.append((number, rest.strip()))
    return pieces[0][1], pieces[1:]


def _unit_label(unit: ParsedUnit) -> str:
    if unit.code:
        return unit.code
    if unit.title:
        return f"'{unit.title}'"
    return f"starting on line {unit.line}"


# --------------------------------------------------------------------------- layout


def _detect_layout(text: str) -> str:
    """Name the layout family; it only steers where loose table text is filed."""
    flags = re.I | re.M
    if re.search(r"guidelines\s+and\s+range|evidence\s+may\s+be\s+supplied\s+by", text, flags):
        return "guidance"
    has_unit_headings = re.search(rf"^\s*{_UNIT_CODE}\s+\S", text, re.M)
    checklist_words = re.search(
        r"achievement\s+checklist|tutor\s+comments|date\s+completed|portfolio\s+reference",
        text,
        flags,
    )
    if has_unit_headings and checklist_words:
        return "learner_checklist"
    meta_lines = 0
    for line in text.splitlines():
        parts = re.split(r"[:\t]", line.strip(), maxsplit=1)
        meta_lines += len(parts) == 2 and _meta_key(parts[0]) is not None
    if meta_lines >= 2:
        return "unit_spec"
    if re.search(r"^\s*AC\s*\d+\.\d+", text, flags) or (
        re.search(r"^\s*LO\s*\d+", text, flags)
        and re.search(r"^\s*(?:met|tutor feedback|learner comments?)\s*$", text, flags)
    ):
        return "assessment_checklist"
    if re.search(r"unit\s+content|<p>|evidence\s+type|portfolio\s+reference", text, flags):
        return "outcome_table"
    return "generic"
