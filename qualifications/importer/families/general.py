"""The fallback: any numbered hierarchy the document shows, read with low confidence.

Outcome and criterion numbers, letter and number codes (P1, M2, K3), lists that restart and
criteria inline after bullets: enough to show a document no family fits in the preview, where
the admin corrects it, rather than refusing it.
"""

from qualifications.importer.extract import Rules
from qualifications.importer.families.base import PAGE_FURNITURE, Doc, Read, Score, read_simple
from qualifications.importer.families.sections import CRITERIA_OFF, CRITERIA_ON, UNIT_CONTENT
from qualifications.importer.results import ParsedCriterion, ParsedOutcome

NAME = "general"
PLAIN = "numbered lines only (no known layout)"

RULES = Rules(
    grades=True,
    restart=True,
    codes="K|S|PC|KU",
    skip=PAGE_FURNITURE,
    on=CRITERIA_ON,
    off=CRITERIA_OFF,
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return Score(0.2, ["no layout family fits well; numbered lines read as they stand"])


def read(doc: Doc) -> Read:
    read = read_simple(doc, RULES)
    for unit in read.units:
        if not any(c.grade in ("merit", "distinction") for c in unit.criteria):
            for crit in unit.criteria:  # P1, P2 … alone are performance criteria, not grades
                crit.grade = ""
        if unit.outcomes and not unit.criteria_count:
            # A flat numbered list with nothing under it: its items are the criteria.
            items = unit.outcomes
            unit.outcomes = [ParsedOutcome(number="1", title="", line=items[0].line)]
            unit.outcomes[0].criteria = [
                ParsedCriterion(
                    number=f"1.{o.number}", text=o.title, line=o.line, label=f"{o.number}."
                )
                for o in items
            ]
    return read
