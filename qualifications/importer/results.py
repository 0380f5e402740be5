"""What the importer hands back: units, outcomes and criteria, with how sure it is of them.

Pure data (no Django), shared by every step of the pipeline, the services that save it and the
preview that lets a centre admin correct it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SpecParseError(ValueError):
    """The text cannot be turned into units; ``str(err)`` is fit to show to the uploader."""

    def __init__(self, message: str, *, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"Line {line}: {message}" if line is not None else message)


GRADES = ("pass", "merit", "distinction")


@dataclass
class ParsedCriterion:
    number: str
    text: str
    line: int
    guidance: str = ""
    # The number as the document prints it ("P1", "1." in a list that restarts, "2xx.1.3"),
    # when that differs from ``number``.
    label: str = ""
    # "pass", "merit" or "distinction" in a grading grid; saved as the criterion's band.
    grade: str = ""
    # Bracketed tags stripped from the text, e.g. PLTS codes "[IE1]".
    tags: list[str] = field(default_factory=list)


@dataclass
class ParsedOutcome:
    number: str
    title: str
    line: int
    kind: str = ""
    criteria: list[ParsedCriterion] = field(default_factory=list)
    guidance: str = ""
    content: str = ""
    evidence_methods: list[str] = field(default_factory=list)


@dataclass
class ParsedUnit:
    code: str = ""
    other_codes: dict[str, str] = field(default_factory=dict)
    title: str = ""
    level: int | None = None
    credit_value: int | None = None
    glh: int | None = None
    awarding_body: str = ""
    mandatory: bool | None = None
    assessment_guidance: str = ""
    additional_information: str = ""
    notes: str = ""
    line: int = 0
    outcomes: list[ParsedOutcome] = field(default_factory=list)
    # Which layout the unit was read as, in plain words, and how sure the reader is (0 to 1).
    layout_name: str = ""
    confidence: float = 0.0

    @property
    def criteria_count(self) -> int:
        return sum(len(outcome.criteria) for outcome in self.outcomes)

    @property
    def criteria(self) -> list[ParsedCriterion]:
        return [crit for outcome in self.outcomes for crit in outcome.criteria]

    @property
    def confidence_percent(self) -> int:
        return round(self.confidence * 100)


@dataclass
class ParsedQualification:
    number: str = ""
    title: str = ""
    awarding_body: str = ""
    level: int | None = None


@dataclass
class ParseResult:
    layout: str
    qualification: ParsedQualification | None
    units: list[ParsedUnit]
    warnings: list[str]
    # The layout family that won, in plain words, and why (shown in the preview).
    layout_name: str = ""
    reasons: list[str] = field(default_factory=list)
    # Warnings that put the whole reading in doubt (a criterion number read twice, a layout
    # that refused the document): a person must look before it is saved.
    doubts: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data: dict = {
            "units": [unit_json(unit) for unit in self.units],
            "warnings": list(self.warnings),
        }
        if self.qualification is not None:
            q = self.qualification
            data["qualification"] = {
                "number": q.number,
                "title": q.title,
                "awarding_body": q.awarding_body,
                "level": q.level,
            }
        return data


def unit_json(unit: ParsedUnit) -> dict:
    return {
        "code": unit.code,
        "other_codes": dict(unit.other_codes),
        "title": unit.title,
        "level": unit.level,
        "credit_value": unit.credit_value,
        "glh": unit.glh,
        "awarding_body": unit.awarding_body,
        "layout": unit.layout_name,
        "confidence": round(unit.confidence, 2),
        "outcomes": [
            {
                "number": outcome.number,
                "title": outcome.title,
                "criteria": [
                    {
                        "number": crit.number,
                        "label": crit.label,
                        "text": crit.text,
                        "grade": crit.grade,
                    }
                    for crit in outcome.criteria
                ],
            }
            for outcome in unit.outcomes
        ],
    }
