"""Grades: a unit's from its criteria's bands, a qualification's from its points table.

A criterion may carry a band (`GradeBand`: pass, merit, distinction). The awarding bodies'
usual rule: a unit is a Pass when all its pass criteria are met, a Merit when all pass and
merit criteria are, a Distinction when all are. A unit is graded only up to the highest band
its criteria reach (a pass-only unit is at best a Pass). A unit whose criteria carry no band
has no grade; once all its criteria are met it is "achieved" and counts as a Pass in the
points.

A qualification's grade comes from its units' grades through its own points table
(`Qualification.grading`, validated by `validate_scheme`), stored with the qualification,
never hard-coded:

    {
      "unit_points": {"pass": 7, "merit": 8, "distinction": 9},
      "per_credit": false,           # true: a unit's points are multiplied by its credits
      "thresholds": [                # highest first; the first one reached is the grade
        {"grade": "distinction", "min_points": 50},
        {"grade": "merit", "min_points": 40},
        {"grade": "pass", "min_points": 0}
      ]
    }
"""

from dataclasses import dataclass

from qualifications.enums import GradeBand

BANDS = [GradeBand.PASS, GradeBand.MERIT, GradeBand.DISTINCTION]
BAND_RANK = {band.value: rank for rank, band in enumerate(BANDS, start=1)}


def band_label(band: str) -> str:
    return GradeBand(band).label if band else ""


def bands_of(criteria) -> list[str]:
    """The bands the criteria reach, lowest first. A unit is graded only up to its highest
    band: a unit with pass criteria alone is a Pass when all are met, never a Distinction."""
    present = {c.grade for c in criteria if c.grade}
    return [band.value for band in BANDS if band.value in present]


def unit_grade(criteria, met_ids) -> str:
    """The unit's grade ("pass", "merit", "distinction") or "" (not yet, or not graded).

    `criteria`: the unit's criteria (objects with `pk` and `grade`); `met_ids`: the pks of
    those the record counts as met (`portfolios.state`)."""
    criteria = list(criteria)
    banded = [c for c in criteria if c.grade]
    if not banded:
        return ""
    grade = ""
    for band in bands_of(banded):
        needed = [c for c in banded if BAND_RANK[c.grade] <= BAND_RANK[band]]
        if all(c.pk in met_ids for c in needed):
            grade = band
        else:
            break
    if grade and not all(c.pk in met_ids for c in criteria if not c.grade):
        # Criteria without a band in a graded unit are needed for any grade.
        return ""
    return grade


def grade_needs(criteria, met_ids) -> tuple[str, list]:
    """The next grade the unit can reach and the criteria (in the order given) still to be
    met for it: ("distinction", [D1, D2]) for a Merit unit; ("", []) when the unit has its
    highest grade or is not graded. Criteria without a band are needed for every grade."""
    criteria = list(criteria)
    bands = bands_of(criteria)
    if not bands:
        return "", []
    grade = unit_grade(criteria, met_ids)
    higher = bands[bands.index(grade) + 1 :] if grade else bands
    if not higher:
        return "", []
    target = higher[0]
    return target, [
        c
        for c in criteria
        if c.pk not in met_ids and (not c.grade or BAND_RANK[c.grade] <= BAND_RANK[target])
    ]


def unit_points_grade(criteria, met_ids) -> str:
    """The grade a unit brings to the points table: its grade, or "pass" when an ungraded
    unit is achieved (every criterion met); "" while it is not."""
    criteria = list(criteria)
    if any(c.grade for c in criteria):
        return unit_grade(criteria, met_ids)
    return GradeBand.PASS.value if criteria and all(c.pk in met_ids for c in criteria) else ""


class SchemeError(ValueError):
    pass


def validate_scheme(scheme: dict) -> dict:
    """The points table, checked: raises SchemeError with a message naming the fault."""
    if not scheme:
        return {}
    if not isinstance(scheme, dict):
        raise SchemeError("The points table must be an object.")
    points = scheme.get("unit_points")
    if not isinstance(points, dict) or not points:
        raise SchemeError("The points table needs points for each unit grade.")
    for band in BANDS:
        value = points.get(band.value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SchemeError(f"Points for a {band.label} unit must be a whole number ≥ 0.")
    unknown = set(points) - set(BAND_RANK)
    if unknown:
        raise SchemeError(f"Unknown unit grade in the points table: {', '.join(sorted(unknown))}.")
    if not isinstance(scheme.get("per_credit", False), bool):
        raise SchemeError("'per credit' must be true or false.")
    thresholds = scheme.get("thresholds")
    if not isinstance(thresholds, list) or not thresholds:
        raise SchemeError("The points table needs at least one grade threshold.")
    previous = None
    seen = set()
    for row in thresholds:
        if not isinstance(row, dict) or not str(row.get("grade", "")).strip():
            raise SchemeError("Each threshold needs a grade name.")
        value = row.get("min_points")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SchemeError(f"The threshold for {row['grade']} must be a whole number ≥ 0.")
        if row["grade"] in seen:
            raise SchemeError(f"The grade {row['grade']} has two thresholds.")
        if previous is not None and value >= previous:
            raise SchemeError("Thresholds must be listed highest first, each lower than the last.")
        seen.add(row["grade"])
        previous = value
    return {
        "unit_points": {band.value: points[band.value] for band in BANDS},
        "per_credit": bool(scheme.get("per_credit", False)),
        "thresholds": [
            {"grade": str(r["grade"]).strip(), "min_points": r["min_points"]} for r in thresholds
        ],
    }


@dataclass(frozen=True)
class QualificationGrade:
    grade: str  # a threshold's grade name, or "" when not every unit has a grade yet
    points: int
    units_graded: int
    units_total: int
    # Why the grade is not given: missing unit credits under a per-credit table.
    note: str = ""


def qualification_grade(scheme: dict, units) -> QualificationGrade | None:
    """The qualification's grade from [(unit points grade, credit value)]; None when the
    qualification is not graded (no points table)."""
    if not scheme:
        return None
    units = list(units)
    graded = [(g, credits) for g, credits in units if g]
    per_credit = scheme.get("per_credit", False)
    if per_credit and any(credits is None for _, credits in units):
        return QualificationGrade("", 0, len(graded), len(units), note="credit values missing")
    points = sum(scheme["unit_points"][g] * (credits if per_credit else 1) for g, credits in graded)
    if len(graded) < len(units) or not units:
        return QualificationGrade("", points, len(graded), len(units))
    for row in scheme["thresholds"]:
        if points >= row["min_points"]:
            return QualificationGrade(row["grade"], points, len(graded), len(units))
    return QualificationGrade("", points, len(graded), len(units), note="below every threshold")
