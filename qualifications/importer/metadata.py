"""Unit metadata read wherever the layout puts it: code, title, level, credits, GLH, body.

A label may carry its value after a colon on the same line, or stand alone with the value on
the next non-blank line (Ofqual register pages, awarding bodies' web pages). Values keep their
units in the documents ("Level 3", "24 hours"); only the number is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qualifications.importer.segment import Line

OFQUAL_CODE = re.compile(r"\b([A-Z]/\d{3}/\d{4})\b")
# training.gov.au codes: BSBWHS311, SITHCCC027, HLTAID011, CHCCOM005.
TGA_CODE = re.compile(r"\b([A-Z]{3,7}\d{3,4}[A-Z]?)\b")

_LABELS: list[tuple[str, str]] = [
    ("awarding_body", r"awarding\s+(?:body|organisation|organization)|(?:unit\s+)?owner"),
    (
        "ignore",
        r"sector\s+subject\s+area|ssa|operational\s+(?:start|end)\s+date|review\s+date|status"
        r"|unit\s+type|last\s+updated|release|qualification\s+number|sub\s+sector|version"
        r"|total\s+qualification\s+time(?:\s*\(tqt\))?|tqt|unit\s+sub\s+level"
        r"|unit\s+grading\s+structure|availability\s+for\s+use|unit\s+available\s+from"
        r"|unit\s+expiry\s+date|number\s+of\s+learning\s+outcomes",
    ),
    (
        "code",
        r"(?:ofqual\s+)?unit\s+(?:reference|ref\.?)(?:\s+(?:number|no\.?))?|reference\s+number"
        r"|ofqual\s+(?:unit\s+)?(?:code|reference|number)|urn|unit\s+accreditation\s+number"
        r"|unit\s+code|sqa\s+(?:unit\s+)?code|unit\s+number|unit\s+no\.?|code",
    ),
    ("title", r"(?:unit\s+)?title|unit\s+name|unit\s+of\s+competency"),
    ("level", r"(?:unit\s+)?(?:(?:rqf|qcf|nqf|scqf|aqf)\s+)?level(?:\s+of\s+(?:the\s+)?unit)?"),
    ("credit_value", r"(?:unit\s+)?credit\s+value|credits?|(?:scqf\s+)?credit\s+points"),
    ("glh", r"(?:unit\s+)?guided\s+learning\s+hours(?:\s*\(glh\))?|glh"),
]
_LABEL_RES = [(key, re.compile(rf"^(?:{pattern})$", re.I)) for key, pattern in _LABELS]
_WITH_VALUE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z.()\s]{0,45}?)\s*:\s*(?P<value>.*)$")
_NUMBER = re.compile(r"\d+")
_LEVEL = re.compile(r"(?:level\s*)?(\d{1,2})\b", re.I)
_BODIES = [
    ("Pearson", r"\bpearson\b|\bbtec\b|\bedexcel\b"),
    ("OCR", r"\bocr\b"),
    ("City & Guilds", r"city\s*(?:&|and)\s*guilds"),
    ("NCFE CACHE", r"\bncfe\b|\bcache\b"),
    ("SQA", r"\bsqa\b|scottish\s+qualifications\s+authority"),
    ("Highfield", r"\bhighfield\b"),
    ("Gateway Qualifications", r"\bgateway\s+qualifications\b"),
    ("Skills for Care", r"\bskills\s+for\s+care\b"),
]


@dataclass
class Metadata:
    code: str = ""
    other_codes: dict[str, str] = field(default_factory=dict)
    title: str = ""
    level: int | None = None
    credit_value: int | None = None
    glh: int | None = None
    awarding_body: str = ""
    lines: set[int] = field(default_factory=set)  # the lines metadata was read from


def label_key(text: str) -> str | None:
    label = text.strip().rstrip(":").strip()
    for key, pattern in _LABEL_RES:
        if pattern.match(label):
            return key
    return None


def number_in(value: str) -> int | None:
    match = _NUMBER.search(value)
    return int(match[0]) if match else None


def level_in(value: str) -> int | None:
    match = _LEVEL.search(value)
    return int(match[1]) if match else None


def body_named_in(text: str) -> str:
    found = [(m.start(), name) for name, p in _BODIES if (m := re.search(p, text, re.I))]
    return min(found)[1] if found else ""


def _pairs(lines: list[Line]):
    """(label key, value, line numbers) for every labelled value in the lines."""
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.blank:
            continue
        cells = list(line.cells)
        # A table row of label and value cells: "Level | 3" or "Unit title\tAssist with ...".
        if len(cells) >= 2 and label_key(cells[0]):
            for at in range(0, len(cells) - 1, 2):
                key = label_key(cells[at])
                if key:
                    yield key, cells[at + 1], {line.number}
            continue
        text = line.text
        match = _WITH_VALUE.match(text)
        if match and label_key(match["label"]) and match["value"].strip():
            yield label_key(match["label"]), match["value"].strip(), {line.number}
            continue
        key = label_key(text)
        if key is None:
            continue
        # The value sits on the next non-blank line, unless that is another label.
        ahead = index
        while ahead < len(lines) and lines[ahead].blank:
            ahead += 1
        if ahead < len(lines) and label_key(lines[ahead].text) is None:
            yield key, lines[ahead].text, {line.number, lines[ahead].number}
            index = ahead + 1


# A level stated on a line of its own: "QCF Level 2: BTEC Specialist", "RQF Level 3".
_LEVEL_LINE = re.compile(
    r"^(?:(?:qcf|rqf|nqf|scqf)\s+)?level\s+(\d)\b(?:\s*[:(\-\u2013].*)?$", re.I
)


def read_metadata(lines: list[Line], *, scheme: str = "") -> Metadata:
    """Read labelled metadata from ``lines``; the first value of each kind wins."""
    meta = Metadata()
    for key, value, numbers in _pairs(lines):
        value = value.strip()
        taken = True
        if key == "code":
            ofqual = OFQUAL_CODE.search(value)
            if ofqual and not meta.code:
                meta.code = ofqual[1]
            elif not ofqual and value and len(value) <= 20:
                meta.other_codes.setdefault(scheme or "awarding body", value)
            else:
                taken = False
        elif key == "title" and not meta.title and not label_key(value):
            meta.title = value
        elif key == "level" and meta.level is None:
            meta.level = level_in(value)
        elif key in ("credit_value", "glh") and getattr(meta, key) is None:
            setattr(meta, key, number_in(value))
        elif key == "awarding_body" and not meta.awarding_body:
            meta.awarding_body = value
        elif key == "ignore":
            pass
        else:
            taken = False
        if taken:
            meta.lines |= numbers
    if meta.level is None:
        for line in lines:
            match = _LEVEL_LINE.match(line.text) if line.cells else None
            if match:
                meta.level = int(match[1])
                meta.lines.add(line.number)
                break
    return meta
