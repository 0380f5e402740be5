"""Section headings several families share: where criteria are, and where they are not."""

import re

CRITERIA_ON = re.compile(
    r"^(?:elements?\s+and\s+performance\s+criteria|performance\s+criteria"
    r"|(?:unit\s+)?learning\s+outcomes?(?:\s+and\s+assessment\s+criteria)?|assessment\s+criteria"
    r"|(?:assessment\s+and\s+)?grading\s+criteria|grading\s+grid"
    r"|outcomes?\s+and\s+(?:assessment|performance)\s+criteria"
    r"|learning\s+outcomes?\s*[-\u2013]\s*the\s+learner\s+will.*)$",
    re.I,
)
CRITERIA_OFF = re.compile(
    r"^(?:range(?:\s+statements?)?|range\s+of\s+(?:conditions|variables)"
    r"|required\s+skills(?:\s+and\s+knowledge)?|prerequisite\s+units?|competency\s+field"
    r"|required\s+knowledge|knowledge\s+evidence|performance\s+evidence|foundation\s+skills"
    r"|assessment\s+conditions|assessment\s+requirements|evidence\s+(?:guide|requirements)"
    r"|key\s+competenc(?:y|ies).*|employability\s+skills|essential\s+guidance.*"
    r"|assessment\s+guidance|delivery\s+guidance|knowledge\s+and\s+understanding"
    r"|unit\s+aims?|aims?|unit\s+introduction|introduction|additional\s+information"
    r"|links\s+to\s+.*|resources|suggested\s+.*|application(?:\s+of\s+the\s+unit)?"
    r"|(?:assessor|candidate|learner|iqa|internal\s+verifier)(?:'s)?\s+"
    r"(?:signature|sign[- ]off|declaration|name).*|declaration|sign[- ]off)$",
    re.I,
)
UNIT_CONTENT = re.compile(
    r"^(?:unit\s+content|indicative\s+content|content|amplification|what\s+needs\s+to\s+be\s+learnt)$",
    re.I,
)
