"""What a learner's record achieves: each unit's grade, the qualification's grade, and the
specification version the learner is assessed against, with the words every page, export and
PDF prints for them.

Pure functions over plain rows, like `progress.py`: the grade rules are
`qualifications.grading`'s, "met" is `portfolios.state`'s, and the reads that feed them are
`portfolios.record.achievements_for` (a fixed number of queries for any number of learners)
or the rows a page has already fetched. Nothing here touches the database.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.text import capfirst

from qualifications.enums import GradeBand
from qualifications.grading import (
    QualificationGrade,
    SchemeError,
    band_label,
    grade_needs,
    qualification_grade,
    unit_grade,
    unit_points_grade,
    validate_scheme,
)


class GradedCriterion(NamedTuple):
    """What grading needs of a criterion: its band, and its label as printed (P1, or 1.1)."""

    pk: int
    unit_id: int
    grade: str
    label: str

    @classmethod
    def of(cls, criterion) -> "GradedCriterion":
        return cls(criterion.pk, criterion.unit_id, criterion.grade, criterion.shown_number)


def spec_label(code: str, version: int | None) -> str:
    """How a specification's version is printed: "J/507/1557 version 2"."""
    if version is None:
        return code
    return f"{code} version {version}".strip()


def grade_name(grade: str) -> str:
    """A unit band's label ("Merit") or a qualification threshold's name as written
    ("distinction" → "Distinction", "D*D" stays)."""
    if grade in GradeBand.values:
        return band_label(grade)
    return capfirst(grade)


@dataclass(frozen=True)
class UnitAchievement:
    unit_id: int
    is_graded: bool  # its criteria carry grade bands
    grade: str  # "", "pass", "merit", "distinction"
    # What the unit brings to a points table: its grade, "pass" when an ungraded unit is
    # achieved, "" while it is not.
    points_grade: str
    next_grade: str = ""  # the next band it can reach ("" at its highest, or ungraded)
    needed: tuple[str, ...] = ()  # the labels of the criteria still to be met for it

    @property
    def grade_label(self) -> str:
        return band_label(self.grade)

    @property
    def grade_text(self) -> str:
        """The grade as exports and the EQA bundle write it: "Merit", "not yet" while a
        graded unit has none, "" for an ungraded unit."""
        if not self.is_graded:
            return ""
        return self.grade_label or "not yet"

    @property
    def summary(self) -> str:
        """The badge: "Grade: Merit" or "Grade: not yet"; "" for an ungraded unit."""
        if not self.is_graded:
            return ""
        return f"Grade: {self.grade_label}" if self.grade else "Grade: not yet"

    @property
    def needs(self) -> str:
        """What the next grade needs: "Distinction needs D1, D2"; "" at its highest grade."""
        if not self.next_grade:
            return ""
        return f"{band_label(self.next_grade)} needs {', '.join(self.needed)}"


@dataclass(frozen=True)
class QualificationAchievement:
    """The qualification's grade from its points table (`qualifications.grading`)."""

    result: QualificationGrade | None  # None when the points table is not valid
    problem: str = ""  # why the points table could not be read

    @property
    def grade(self) -> str:
        return self.result.grade if self.result else ""

    @property
    def grade_label(self) -> str:
        return grade_name(self.grade)

    @property
    def points(self) -> int | None:
        return self.result.points if self.result else None

    @property
    def summary(self) -> str:
        """The words shown: "Merit, 46 points", or why there is no grade yet."""
        r = self.result
        if r is None:
            return f"No grade: {self.problem}"
        if r.grade:
            return f"{self.grade_label}, {r.points} points"
        if r.note == "credit values missing":
            return "No grade: the points are per credit and a unit has no credit value"
        if r.note == "below every threshold":
            return f"No grade: {r.points} points is below every threshold"
        if not r.units_total:
            return "No grade: no units"
        return (
            f"Not yet graded: {r.units_graded} of {r.units_total} units achieved, "
            f"{r.points} points so far"
        )


@dataclass
class Achievement:
    """One enrolment's grades: per unit (its current units), and the qualification's when
    it has a points table."""

    units: dict[int, UnitAchievement] = field(default_factory=dict)
    qualification: QualificationAchievement | None = None

    @property
    def is_graded(self) -> bool:
        return self.qualification is not None or any(u.is_graded for u in self.units.values())


def unit_achievements(
    criteria: Iterable[GradedCriterion], met_ids, unit_ids: Iterable[int] = ()
) -> dict[int, UnitAchievement]:
    """Each unit's grade and what its next grade needs, from its criteria (in display
    order) and the ids of those the record counts as met. `unit_ids` adds units that have
    no criteria."""
    by_unit = {unit_id: [] for unit_id in unit_ids}
    for c in criteria:
        by_unit.setdefault(c.unit_id, []).append(c)
    result = {}
    for unit_id, rows in by_unit.items():
        next_grade, needed = grade_needs(rows, met_ids)
        result[unit_id] = UnitAchievement(
            unit_id=unit_id,
            is_graded=any(c.grade for c in rows),
            grade=unit_grade(rows, met_ids),
            points_grade=unit_points_grade(rows, met_ids),
            next_grade=next_grade,
            needed=tuple(c.label for c in needed),
        )
    return result


def qualification_achievement(
    scheme: dict, units: Mapping[int, UnitAchievement], credits: Mapping[int, int | None]
) -> QualificationAchievement | None:
    """The qualification's grade from the units' grades and credit values ({unit_id:
    credits}, one entry per unit the learner takes); None when it has no points table."""
    if not scheme:
        return None
    try:
        scheme = validate_scheme(scheme)
    except SchemeError as error:
        return QualificationAchievement(None, problem=f"the points table is not valid ({error})")
    pairs = [(units[unit_id].points_grade, credits[unit_id]) for unit_id in credits]
    return QualificationAchievement(qualification_grade(scheme, pairs))


def achievement_of(
    *,
    criteria: Iterable[GradedCriterion],
    met_ids,
    credits: Mapping[int, int | None],
    scheme: dict | None,
) -> Achievement:
    """An enrolment's grades. `credits`: {unit_id: credit value} of the units it takes now;
    `criteria`: theirs, in display order; `scheme`: the qualification's points table."""
    units = unit_achievements(
        [c for c in criteria if c.unit_id in credits], met_ids, unit_ids=credits
    )
    return Achievement(
        units=units, qualification=qualification_achievement(scheme or {}, units, credits)
    )
