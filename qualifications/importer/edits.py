"""The admin's corrections in the preview, applied to a reading.

A unit's outcomes and criteria are shown as rows (outcome, outcome title, number, label as
printed, text, grade band).
The admin edits a row, deletes it, merges it into the row above, or splits it by starting a new
line in its text with a criterion number ("1.3 Describe ..."). ``apply_rows`` turns the rows back
into outcomes and criteria; guidance and unit content the document gave stay with the outcome
or criterion of the same number.
"""

from __future__ import annotations

import re
from dataclasses import replace

from qualifications.importer.families.base import outcome_kind
from qualifications.importer.normalise import normalise_text
from qualifications.importer.results import (
    ParsedCriterion,
    ParsedOutcome,
    ParsedUnit,
    ParseResult,
)

_SPLIT = re.compile(r"^\s*(?P<number>(?:[A-Z]{1,2})?\d{1,3}(?:\.\d{1,2})*)\.?\s+(?P<text>\S.*)$")


def unit_rows(unit: ParsedUnit) -> list[dict]:
    """The rows the preview starts from: one per criterion, in the unit's order."""
    return [
        {
            "outcome": outcome.number,
            "outcome_title": outcome.title,
            "number": crit.number,
            "label": crit.label,
            "text": crit.text,
            "grade": crit.grade,
        }
        for outcome in unit.outcomes
        for crit in outcome.criteria
    ]


def split_rows(rows: list[dict]) -> list[dict]:
    """Rows whose text holds further lines starting with a number become several rows;
    a row marked ``merge_up`` joins the row above; ``delete`` rows go."""
    result: list[dict] = []
    for row in rows:
        if row.get("delete"):
            continue
        lines = [line for line in str(row.get("text", "")).splitlines() if line.strip()]
        first, parts = [], []
        for line in lines:
            match = _SPLIT.match(line)
            if match and (first or parts):
                parts.append({**row, "number": match["number"], "text": match["text"]})
            elif parts:
                parts[-1]["text"] = f"{parts[-1]['text']} {line}"
            else:
                first.append(line)
        current = {**row, "text": " ".join(first)}
        if row.get("merge_up") and result:
            above = result[-1]
            above["text"] = f"{above['text']} {current['text']}".strip()
        else:
            result.append(current)
        result.extend(parts)
    for row in result:
        row["text"] = normalise_text(row["text"])
    return result


def apply_rows(unit: ParsedUnit, rows: list[dict]) -> ParsedUnit:
    """A copy of ``unit`` whose outcomes and criteria are the (corrected) rows."""
    old_outcomes = {o.number: o for o in unit.outcomes}
    old_criteria = {c.number: c for o in unit.outcomes for c in o.criteria}
    outcomes: dict[str, ParsedOutcome] = {}
    for row in split_rows(rows):
        number = row["outcome"].strip()
        outcome = outcomes.get(number)
        if outcome is None:
            old = old_outcomes.get(number)
            outcome = (
                replace(old, criteria=[])
                if old
                else ParsedOutcome(number=number, title="", line=unit.line)
            )
            outcomes[number] = outcome
        title = normalise_text(row.get("outcome_title") or "")
        if title:
            outcome.title = title
            outcome.kind = outcome_kind(title)
        old = old_criteria.get(row["number"])
        outcome.criteria.append(
            ParsedCriterion(
                number=row["number"].strip(),
                text=row["text"],
                line=old.line if old else unit.line,
                guidance=old.guidance if old else "",
                label=(row.get("label") or "").strip()
                if "label" in row
                else (old.label if old else ""),
                grade=row.get("grade") or "",
                tags=list(old.tags) if old else [],
            )
        )
    return replace(unit, outcomes=list(outcomes.values()))


def apply_corrections(
    result: ParseResult,
    *,
    rows: dict[int, list[dict]] | None = None,
    levels: dict[int, int | None] | None = None,
) -> ParseResult:
    """``result`` with the preview's corrections: rows per unit index (a unit without rows
    keeps its reading) and a level for units whose document gave none."""
    rows = rows or {}
    levels = levels or {}
    units = []
    for index, unit in enumerate(result.units):
        if index in rows:
            unit = apply_rows(unit, rows[index])
        if levels.get(index) is not None:
            unit = replace(unit, level=levels[index])
        units.append(unit)
    return replace(result, units=units, doubts=[])
