"""Kept for the modules that still import the parser from here (``textextract``, and branches
written before the importer became a package). New code imports ``qualifications.importer``."""

from qualifications.importer import (
    ParsedCriterion,
    ParsedOutcome,
    ParsedQualification,
    ParsedUnit,
    ParseResult,
    SpecParseError,
    criteria_match_score,
    normalise_text,
    parse_spec,
)

__all__ = [
    "ParseResult",
    "ParsedCriterion",
    "ParsedOutcome",
    "ParsedQualification",
    "ParsedUnit",
    "SpecParseError",
    "criteria_match_score",
    "normalise_text",
    "parse_spec",
]
