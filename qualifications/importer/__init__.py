"""Reading awarding bodies' unit specifications into units, outcomes and criteria.

A pipeline (see ``pipeline``): normalise the text, split it into lines and cells, score each
layout family in ``families/`` (best wins, reasons kept), extract with that family's rules,
then validate. Pure Python (no Django), so the views, the commands, the bench and the tests all
use it the same way.
"""

from qualifications.importer.matching import criteria_match_score
from qualifications.importer.normalise import normalise_text
from qualifications.importer.pipeline import parse_spec
from qualifications.importer.results import (
    GRADES,
    ParsedCriterion,
    ParsedOutcome,
    ParsedQualification,
    ParsedUnit,
    ParseResult,
    SpecParseError,
)

__all__ = [
    "GRADES",
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
