"""The grade rules at every boundary: a unit's from its criteria's bands, a qualification's
from its points table. Pure functions: no database."""

from dataclasses import dataclass

import pytest

from portfolios.achievement import (
    GradedCriterion,
    UnitAchievement,
    achievement_of,
    qualification_achievement,
    unit_achievements,
)
from qualifications.grading import (
    SchemeError,
    grade_needs,
    qualification_grade,
    unit_grade,
    unit_points_grade,
    validate_scheme,
)
from tests.graded import POINTS_TABLE


@dataclass(frozen=True)
class C:
    pk: int
    grade: str
    label: str


def unit(*labels: str) -> list[C]:
    band = {"P": "pass", "M": "merit", "D": "distinction"}
    return [
        C(pk, band[label[0]] if label[1:].isdigit() and label[0] in band else "", label)
        for pk, label in enumerate(labels, start=1)
    ]


def met(criteria, *labels):
    return {c.pk for c in criteria if c.label in labels}


BTEC = unit("P1", "P2", "P3", "M1", "M2", "D1", "D2")
ALL_P = ("P1", "P2", "P3")
ALL_M = ("M1", "M2")


def needs(criteria, met_ids):
    band, missing = grade_needs(criteria, met_ids)
    return band, [c.label for c in missing]


@pytest.mark.parametrize(
    ("labels_met", "grade", "next_band", "missing"),
    [
        ((), "", "pass", ["P1", "P2", "P3"]),
        (("P1", "P2"), "", "pass", ["P3"]),
        # Merit and distinction criteria count for nothing without every pass criterion.
        (("P1", "P2", *ALL_M, "D1", "D2"), "", "pass", ["P3"]),
        (ALL_P, "pass", "merit", ["M1", "M2"]),
        ((*ALL_P, "M1"), "pass", "merit", ["M2"]),
        ((*ALL_P, "M1", "D1", "D2"), "pass", "merit", ["M2"]),
        ((*ALL_P, *ALL_M), "merit", "distinction", ["D1", "D2"]),
        ((*ALL_P, *ALL_M, "D1"), "merit", "distinction", ["D2"]),
        ((*ALL_P, *ALL_M, "D1", "D2"), "distinction", "", []),
    ],
)
def test_unit_grade_at_each_boundary(labels_met, grade, next_band, missing):
    met_ids = met(BTEC, *labels_met)
    assert unit_grade(BTEC, met_ids) == grade
    assert unit_points_grade(BTEC, met_ids) == grade
    assert needs(BTEC, met_ids) == (next_band, missing)


def test_a_unit_without_bands_has_no_grade_but_counts_as_a_pass_once_achieved():
    plain = unit("1.1", "1.2")
    assert unit_grade(plain, set()) == ""
    assert unit_grade(plain, {1, 2}) == ""
    assert needs(plain, {1}) == ("", [])
    assert unit_points_grade(plain, {1}) == ""
    assert unit_points_grade(plain, {1, 2}) == "pass"
    assert unit_points_grade([], set()) == ""


def test_a_pass_only_unit_is_at_best_a_pass():
    passes = unit("P1", "P2")
    assert unit_grade(passes, {1}) == ""
    assert needs(passes, {1}) == ("pass", ["P2"])
    assert unit_grade(passes, {1, 2}) == "pass"
    assert needs(passes, {1, 2}) == ("", [])


def test_a_unit_without_merit_criteria_goes_from_pass_to_distinction():
    criteria = unit("P1", "D1")
    assert unit_grade(criteria, {1}) == "pass"
    assert needs(criteria, {1}) == ("distinction", ["D1"])
    assert unit_grade(criteria, {1, 2}) == "distinction"


def test_ungraded_criteria_in_a_graded_unit_are_needed_for_every_grade():
    criteria = unit("P1", "1.2", "M1", "D1")
    assert unit_grade(criteria, met(criteria, "P1", "M1", "D1")) == ""
    assert needs(criteria, met(criteria, "P1", "M1", "D1")) == ("pass", ["1.2"])
    assert unit_grade(criteria, met(criteria, "P1", "1.2")) == "pass"
    assert needs(criteria, met(criteria, "P1")) == ("pass", ["1.2"])
    assert needs(criteria, set()) == ("pass", ["P1", "1.2"])
    assert unit_grade(criteria, met(criteria, "P1", "1.2", "M1", "D1")) == "distinction"


# ---------------------------------------------------------------- the points table

SCHEME = validate_scheme(POINTS_TABLE)


@pytest.mark.parametrize(
    ("grades", "grade", "points"),
    [
        (["pass", "pass", "pass"], "pass", 21),
        (["pass", "pass", "merit"], "pass", 22),  # one below merit
        (["pass", "merit", "merit"], "merit", 23),  # exactly merit
        (["merit", "merit", "distinction"], "merit", 25),  # one below distinction
        (["merit", "distinction", "distinction"], "distinction", 26),  # exactly distinction
        (["distinction"] * 3, "distinction", 27),
    ],
)
def test_qualification_grade_at_each_threshold(grades, grade, points):
    result = qualification_grade(SCHEME, [(g, 10) for g in grades])
    assert (result.grade, result.points, result.units_graded, result.units_total) == (
        grade,
        points,
        3,
        3,
    )


def test_points_per_credit_multiply_by_each_units_credits():
    scheme = {
        **SCHEME,
        "per_credit": True,
        "thresholds": [
            {"grade": "merit", "min_points": 110},
            {"grade": "pass", "min_points": 0},
        ],
    }
    # 7 x 10 + 8 x 5 = 110: exactly merit; 7 x 10 + 7 x 5 = 105: a pass.
    assert qualification_grade(scheme, [("pass", 10), ("merit", 5)]).grade == "merit"
    assert qualification_grade(scheme, [("pass", 10), ("merit", 5)]).points == 110
    assert qualification_grade(scheme, [("pass", 10), ("pass", 5)]).points == 105
    assert qualification_grade(scheme, [("pass", 10), ("pass", 5)]).grade == "pass"


def test_missing_credits_give_no_grade_under_a_per_credit_table_only():
    per_credit = {**SCHEME, "per_credit": True}
    result = qualification_grade(per_credit, [("merit", 10), ("merit", None)])
    assert (result.grade, result.note) == ("", "credit values missing")
    assert qualification_grade(SCHEME, [("merit", None)] * 3).grade == "merit"


def test_no_grade_until_every_unit_is_graded():
    result = qualification_grade(SCHEME, [("distinction", 10), ("", 10), ("merit", 10)])
    assert (result.grade, result.points, result.units_graded, result.units_total) == (
        "",
        17,
        2,
        3,
    )


def test_below_every_threshold_and_no_table():
    scheme = {**SCHEME, "thresholds": [{"grade": "pass", "min_points": 8}]}
    assert qualification_grade(scheme, [("pass", 1)]).note == "below every threshold"
    assert qualification_grade(scheme, [("merit", 1)]).grade == "pass"
    assert qualification_grade({}, [("pass", 1)]) is None


@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        ({"unit_points": {"pass": 1, "merit": 2}}, "Points for a Distinction unit"),
        ({**POINTS_TABLE, "per_credit": "yes"}, "'per credit' must be true or false."),
        ({**POINTS_TABLE, "thresholds": []}, "at least one grade threshold"),
        (
            {
                **POINTS_TABLE,
                "thresholds": [
                    {"grade": "pass", "min_points": 0},
                    {"grade": "merit", "min_points": 20},
                ],
            },
            "highest first",
        ),
    ],
)
def test_a_faulty_points_table_is_refused_with_a_message(scheme, message):
    with pytest.raises(SchemeError, match=message):
        validate_scheme(scheme)


# ---------------------------------------------------------------- the words printed


def graded(unit_id, *labels):
    band = {"P": "pass", "M": "merit", "D": "distinction"}
    return [
        GradedCriterion(unit_id * 100 + n, unit_id, band.get(label[0], ""), label)
        for n, label in enumerate(labels, start=1)
    ]


def test_unit_achievement_words():
    criteria = graded(1, "P1", "P2", "M1", "D1", "D2")
    ids = {c.label: c.pk for c in criteria}
    rows = unit_achievements(criteria, {ids["P1"], ids["P2"], ids["M1"]})
    assert rows[1] == UnitAchievement(
        unit_id=1,
        is_graded=True,
        grade="merit",
        points_grade="merit",
        next_grade="distinction",
        needed=("D1", "D2"),
    )
    assert (rows[1].summary, rows[1].needs) == ("Grade: Merit", "Distinction needs D1, D2")
    nothing = unit_achievements(criteria, set())[1]
    assert (nothing.summary, nothing.needs) == ("Grade: not yet", "Pass needs P1, P2")
    top = unit_achievements(criteria, set(ids.values()))[1]
    assert (top.summary, top.needs) == ("Grade: Distinction", "")
    plain = unit_achievements([GradedCriterion(9, 2, "", "1.1")], {9})[2]
    assert (plain.is_graded, plain.summary, plain.needs, plain.points_grade) == (
        False,
        "",
        "",
        "pass",
    )


def test_qualification_achievement_words():
    a = graded(1, "P1", "M1")
    b = graded(2, "P1", "M1", "D1")
    everything = {c.pk for c in a + b}
    done = achievement_of(
        criteria=a + b, met_ids=everything, credits={1: 10, 2: 10}, scheme=POINTS_TABLE
    )
    # Merit 8 + Distinction 9 = 17: a pass (merit needs 23).
    assert done.qualification.summary == "Pass, 17 points"
    half = achievement_of(
        criteria=a + b, met_ids={c.pk for c in a}, credits={1: 10, 2: 10}, scheme=POINTS_TABLE
    )
    assert half.qualification.summary == "Not yet graded: 1 of 2 units achieved, 8 points so far"
    per_credit = {**POINTS_TABLE, "per_credit": True}
    missing = achievement_of(
        criteria=a + b, met_ids=everything, credits={1: 10, 2: None}, scheme=per_credit
    )
    assert missing.qualification.summary == (
        "No grade: the points are per credit and a unit has no credit value"
    )
    high = {**POINTS_TABLE, "thresholds": [{"grade": "D*D", "min_points": 18}]}
    low = achievement_of(criteria=a + b, met_ids=everything, credits={1: 1, 2: 1}, scheme=high)
    assert low.qualification.summary == "No grade: 17 points is below every threshold"
    assert (
        achievement_of(
            criteria=a + b, met_ids=everything, credits={1: 1, 2: 1}, scheme={}
        ).qualification
        is None
    )


def test_an_invalid_points_table_says_so_rather_than_failing():
    result = qualification_achievement(
        {"unit_points": {"pass": 1}}, unit_achievements(graded(1, "P1"), set()), {1: 5}
    )
    assert result.summary.startswith("No grade: the points table is not valid (Points for a")
