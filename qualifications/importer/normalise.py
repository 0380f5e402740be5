"""Step 1: normalise the text.

``normalise_text`` cleans one line or cell into the form every string the importer returns
takes. ``normalise_document`` repairs what PDF and Word exports do to the whole text (line
ends, ligatures, non-breaking spaces) without changing the number of lines, so every warning
and error can still name the line the uploader sees. Words hyphenated across a line break are
joined where the lines are joined, in ``extract``.
"""

from __future__ import annotations

import html
import re

from qualifications.importer.results import SpecParseError

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
    }
)
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_MD_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# A single-asterisk span only counts as emphasis when it opens after a space and closes before
# a non-word character: "customer records*, manuals*" are footnote markers, not emphasis.
_MD_EMPHASIS = re.compile(r"(?<![^\s(])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?!\w)")
# Symbol-font bullets from Word arrive as private-use characters (U+F0B7 etc.).
BULLET_CHARS = (
    "\u2022\u00b7\u25aa\u25cf\u25e6\u2023\u2043\u2219\u25a0\u25a1\u27a2\u25ba\u2013\u2014"
    "\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0a8"
)
_LEADING_BULLET = re.compile(rf"^(?:[{BULLET_CHARS}]\s*|[-*]\s+)+")
# PDF line-break hyphenation leaves "post- transaction".
_SPLIT_HYPHEN = re.compile(r"(?<=[a-z])- (?=[a-z])")


def normalise_text(text: str) -> str:
    """Return ``text`` as one clean line: the form every string the parser returns takes."""
    text = html.unescape(_HTML_TAG.sub(" ", text))
    text = _INVISIBLE.sub("", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = _MD_STRONG.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\1", text)
    text = " ".join(text.translate(_QUOTES).split())
    text = _LEADING_BULLET.sub("", text)
    return _SPLIT_HYPHEN.sub("-", text).strip()


def normalise_document(text: str) -> str:
    """Line ends, ligatures and odd spaces made plain; the lines stay where they were."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_QUOTES)
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")


def check_is_text(text: str) -> None:
    """Refuse what is not text at all, naming the first line where that shows."""
    if not text or not text.strip():
        raise SpecParseError("The text is empty.")
    if "\x00" in text:
        raise SpecParseError(
            "This does not look like text (it contains NUL bytes); "
            "upload the original .docx or .pdf, or a plain-text export of it.",
            line=text[: text.index("\x00")].count("\n") + 1,
        )
    visible = [ch for ch in text if not ch.isspace()]
    junk = sum(1 for ch in visible if not ch.isprintable() or ch == "\ufffd")
    if junk / len(visible) > 0.1:
        raise SpecParseError(
            f"This does not look like text ({junk * 100 // len(visible)}% of its characters are "
            "unprintable); upload the original .docx or .pdf, or a plain-text export of it.",
            line=1,
        )


def has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
