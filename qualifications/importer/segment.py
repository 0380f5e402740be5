"""Step 2: split the normalised text into numbered lines and their table cells.

Cells come from tabs (Word and PDF tables) or pipes (tables pasted from web pages and
markdown). A row of dashes between pipes is a table rule and is left out. Line numbers are the
uploader's: one per line of the text as given, blank lines included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualifications.importer.normalise import BULLET_CHARS, normalise_text

_PIPE_RULE = re.compile(r"^[\s|:+\-=]+$")
_BULLET_START = re.compile(rf"^\s*(?:[{BULLET_CHARS}]|[-*]\s)")


@dataclass(frozen=True)
class Line:
    number: int
    raw: str
    cells: tuple[str, ...]
    indent: int
    bullet: bool
    in_table: bool

    @property
    def text(self) -> str:
        return " ".join(self.cells)

    @property
    def blank(self) -> bool:
        return not self.cells


def _cells(raw: str) -> tuple[list[str], bool]:
    stripped = raw.strip()
    if stripped.count("|") >= 2 or (stripped.startswith("|") and stripped.endswith("|")):
        if _PIPE_RULE.match(stripped):
            return [], True
        return stripped.strip("|").split("|"), True
    if "\t" in stripped:
        return stripped.split("\t"), True
    return [raw], False


def segment(text: str) -> list[Line]:
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        parts, in_table = _cells(raw)
        cells = tuple(
            c for c in (normalise_text(p) for p in parts) if any(ch.isalnum() for ch in c)
        )
        indent = len(raw) - len(raw.lstrip(" \t"))
        lines.append(
            Line(
                number=number,
                raw=raw,
                cells=cells,
                indent=indent,
                bullet=bool(_BULLET_START.match(raw)),
                in_table=in_table,
            )
        )
    return lines
