"""SQA / SVQ units ("Performance criteria", "Knowledge and understanding", P1 and K1 codes or
lettered criteria under each outcome) and NCFE CACHE units ("Learning outcome 1 The learner
will:", "Assessment criteria 1.1 The learner can:")."""

import re

from qualifications.importer.extract import Rules
from qualifications.importer.families.base import (
    PAGE_FURNITURE,
    Doc,
    Read,
    Score,
    cue,
    read_simple,
    score_cues,
)
from qualifications.importer.families.sections import CRITERIA_ON, UNIT_CONTENT

NAME = "sqa_cache"
PLAIN = "an SQA or NCFE CACHE unit"

CUES = [
    cue(r"knowledge\s+and\s+understanding", 0.3, "a 'Knowledge and understanding' section"),
    cue(r"^\s*performance\s+criteria\s*$", 0.2, "a 'Performance criteria' heading"),
    cue(r"\bsqa\b|\bsvq\b|scottish\s+qualifications", 0.3, "names SQA or an SVQ"),
    cue(r"\bncfe\b|\bcache\b", 0.3, "names NCFE CACHE"),
    cue(
        r"learning\s+outcome\s+\d+\s+the\s+learner\s+will",
        0.3,
        "CACHE's 'Learning outcome 1 The learner will:'",
    ),
    cue(
        r"assessment\s+criteria\s+\d+\.\d+\s+the\s+learner\s+can",
        0.3,
        "CACHE's 'Assessment criteria 1.1 The learner can:'",
    ),
    cue(
        r"^\s*P\d{1,2}\b[\s\S]*^\s*K\d{1,2}\b",
        0.2,
        "performance (P1) and knowledge (K1) statements",
    ),
]

_KNOWLEDGE = re.compile(r"^you\s+need\s+to\s+know\s+and\s+understand:?$", re.I)

RULES = Rules(
    codes="P|K|PC|KU",
    code_outcomes={
        "P": ("1", "Performance criteria"),
        "PC": ("1", "Performance criteria"),
        "K": ("2", "Knowledge and understanding"),
        "KU": ("2", "Knowledge and understanding"),
    },
    letter_criteria=True,
    restart=True,
    heading_outcomes=re.compile(
        r"^(?:performance\s+criteria|knowledge\s+and\s+understanding)$", re.I
    ),
    skip=(
        *PAGE_FURNITURE,
        _KNOWLEDGE,
        re.compile(r"^you\s+(?:must|need\s+to)\s+(?:be\s+able\s+to|know)", re.I),
    ),
    on=CRITERIA_ON,
    off=re.compile(
        r"^(?:evidence\s+requirements|assessment\s+guidance|range|unit\s+summary|scope|values"
        r"|behaviours|glossary|links\s+to\s+other\s+standards|external\s+links|keywords"
        r"|additional\s+information|(?:assessor|candidate|learner)(?:'s)?\s+(?:signature|declaration).*)$",
        re.I,
    ),
    content=UNIT_CONTENT,
)


def score(doc: Doc) -> Score:
    return score_cues(doc.text, CUES)


def read(doc: Doc) -> Read:
    scheme = "SQA" if re.search(r"\bsqa\b|\bsvq\b|scottish", doc.text, re.I) else ""
    return read_simple(doc, RULES, scheme=scheme)
