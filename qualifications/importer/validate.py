"""Step 5: check what was read. Numbering gaps and repeats, outcomes without criteria,
criteria without text, and metadata of the wrong type are warnings that name their line."""

from __future__ import annotations

import re

from qualifications.importer.metadata import OFQUAL_CODE
from qualifications.importer.results import ParsedCriterion, ParsedUnit

_LIMITS = {"level": (1, 8), "credit_value": (1, 999), "glh": (1, 9999)}
_LABELS = {"level": "level", "credit_value": "credit value", "glh": "guided learning hours"}


def _series(number: str) -> tuple[str, int] | None:
    """ "1.3" → ("1.", 3); "P4" → ("P", 4); "2.1.3" → ("2.1.", 3)."""
    match = re.match(r"^(.*?)(\d+)$", number)
    return (match[1], int(match[2])) if match else None


def _numbering(criteria: list[ParsedCriterion], label: str) -> list[tuple[int, str]]:
    warnings = []
    last: dict[str, tuple[int, str]] = {}
    for crit in criteria:
        series = _series(crit.number)
        if series is None:
            continue
        prefix, n = series
        previous, previous_number = last.get(prefix, (0, ""))
        if n == previous:
            warnings.append((crit.line, f"unit {label}: criterion {crit.number} is repeated"))
        elif n != previous + 1:
            after = previous_number or "the start"
            warnings.append(
                (
                    crit.line,
                    f"unit {label}: criterion {crit.number} follows {after} (numbering gap)",
                )
            )
        last[prefix] = (n, crit.number)
    return warnings


def _unit_numbering(unit: ParsedUnit, label: str) -> list[tuple[int, str]]:
    """Dotted numbers run within their outcome (1.1, 1.2 …); letter codes (P1, M1, K1) run
    through the whole unit, whichever outcome they sit under."""
    warnings = []
    for outcome in unit.outcomes:
        warnings.extend(_numbering([c for c in outcome.criteria if "." in c.number], label))
    coded = [c for c in unit.criteria if "." not in c.number]
    order = {"pass": 0, "merit": 1, "distinction": 2}
    coded.sort(key=lambda c: order.get(c.grade, 3))  # stable: document order within a band
    warnings.extend(_numbering(coded, label))
    return sorted(warnings)


def unit_label(unit: ParsedUnit) -> str:
    if unit.code:
        return unit.code
    if unit.title:
        return f"'{unit.title}'"
    return f"starting on line {unit.line}"


def validate_unit(unit: ParsedUnit, *, numbering: bool = True) -> list[tuple[int, str]]:
    warnings: list[tuple[int, str]] = []
    if unit.code and not OFQUAL_CODE.fullmatch(unit.code):
        unit.other_codes.setdefault("unit code", unit.code)
        unit.code = ""
        warnings.append(
            (
                unit.line,
                f"unit {unit_label(unit)}: '{unit.other_codes['unit code']}' is not an "
                "Ofqual unit code",
            )
        )
    label = unit_label(unit)
    for name, (low, high) in _LIMITS.items():
        value = getattr(unit, name)
        if value is not None and not low <= value <= high:
            warnings.append((unit.line, f"unit {label}: {_LABELS[name]} {value} is not plausible"))
            setattr(unit, name, None)
    if not numbering:
        return warnings
    warnings.extend(_unit_numbering(unit, label))
    previous = 0
    for outcome in unit.outcomes:
        if outcome.number.isdigit():
            if int(outcome.number) != previous + 1:
                warnings.append(
                    (
                        outcome.line,
                        f"unit {label}: outcome {outcome.number} follows "
                        f"{previous or 'the start'} (numbering gap)",
                    )
                )
            previous = int(outcome.number)
        if not outcome.criteria:
            warnings.append(
                (outcome.line, f"unit {label}: outcome {outcome.number} has no criteria")
            )
        for crit in outcome.criteria:
            if not crit.text:
                warnings.append((crit.line, f"unit {label}: criterion {crit.number} has no text"))
    return warnings


def numbering_problems(units: list[ParsedUnit]) -> int:
    """Gaps and repeats in outcome and criterion numbers: the fewer, the likelier the reading."""
    problems = 0
    for unit in units:
        numbers = [int(o.number) for o in unit.outcomes if o.number.isdigit()]
        problems += sum(1 for a, b in zip([0, *numbers], numbers, strict=False) if b != a + 1)
        problems += len(_unit_numbering(unit, ""))
    return problems


def confidence(
    score: float, numbered: int, taken: int, problems: int, *, cap: float = 1.0
) -> float:
    """How sure the reader is, 0 to 1: the family's fit, the share of numbered lines it could
    place, less a little for each problem found."""
    coverage = taken / numbered if numbered else 1.0
    value = (0.5 + 0.5 * score) * coverage * max(0.5, 1 - 0.05 * problems)
    return round(min(value, cap), 2)
