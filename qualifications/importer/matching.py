"""How well a parsed unit's criteria match a unit already in the catalogue."""

from __future__ import annotations

import re

from qualifications.importer.normalise import normalise_text
from qualifications.importer.results import ParsedUnit

_CRITERION_NUMBER = re.compile(r"^(?:AC|A\.C\.)?\s*(\d{1,2})\.(\d{1,2})\.?$", re.I)

_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "how", "in", "into"}
    | {"is", "it", "its", "of", "on", "or", "own", "that", "the", "their", "them", "they", "this"}
    | {"to", "when", "where", "which", "who", "with", "within"}
)
_AMERICAN = {"behavior": "behaviour", "center": "centre", "program": "programme", "color": "colour"}


def _match_words(text: str) -> set[str]:
    """Content words, with British/American spellings and plurals folded together."""
    words = set()
    for word in re.findall(r"[a-z]+", normalise_text(text).lower().replace("'s", "")):
        if word in _STOPWORDS:
            continue
        word = _AMERICAN.get(word, word)
        word = re.sub(r"([iy])z(e|es|ed|ing|ation|ations)$", r"\1s\2", word)  # organization
        word = re.sub(r"(?<=..)ies$", "y", word)  # policies
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def _text_similarity(a: str, b: str) -> float:
    words_a, words_b = _match_words(a), _match_words(b)
    if not words_a or not words_b:
        return 0.0
    return 2 * len(words_a & words_b) / (len(words_a) + len(words_b))


def criteria_match_score(unit: ParsedUnit, existing: dict[str, str]) -> float:
    """How well ``unit``'s criteria match an existing unit's {number: text}, from 0 to 1.

    Used to find the unit a code-less guidance document or checklist belongs to.  Every number
    in either set counts; a number only one side has scores 0, a shared number scores the word
    overlap of the two texts, so wrapped lines and spelling variants still match well.
    """
    parsed = {crit.number: crit.text for outcome in unit.outcomes for crit in outcome.criteria}
    theirs = {}
    for number, text in existing.items():
        match = _CRITERION_NUMBER.match(str(number).strip())
        theirs[f"{int(match[1])}.{int(match[2])}" if match else str(number).strip()] = text
    numbers = set(parsed) | set(theirs)
    if not parsed or not theirs:
        return 0.0
    shared = set(parsed) & set(theirs)
    return sum(_text_similarity(parsed[n], theirs[n]) for n in shared) / len(numbers)
