"""Every kind of rule of combination, met and broken, with the message that names it."""

from dataclasses import dataclass

import pytest

from qualifications.models import (
    AwardingBody,
    BarredCombination,
    Qualification,
    QualificationUnit,
    Unit,
    UnitGroup,
)
from qualifications.rules import NO_RULES, ONLY_MANDATORY, check_unit_choice
from tests.catalogue import load_seed_catalogue


def _unit(code, title, *, level, credits):
    return Unit.objects.create(
        slug=code.lower().replace("/", "-"),
        code=code,
        title=title,
        level=level,
        credit_value=credits,
    )


@dataclass
class Combo:
    qualification: Qualification
    mandatory: UnitGroup
    group_a: UnitGroup
    units: dict

    def pick(self, *codes):
        return [self.units[c] for c in codes]


@pytest.fixture
def combo(db):
    """M1 (3 cr, L2) and M2 (4 cr, L3) mandatory; optional group A: A1 (5, L3), A2 (6, L2),
    A3 (2, L4)."""
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0002/2", title="Level 3 Diploma in Rules", awarding_body=body, level=3
    )
    mandatory = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True, position=0
    )
    group_a = UnitGroup.objects.create(
        qualification=qualification, name="Optional group A", position=1
    )
    specs = [
        ("M/100/0001", "Mandatory one", 2, 3, mandatory),
        ("M/100/0002", "Mandatory two", 3, 4, mandatory),
        ("A/100/0001", "Option one", 3, 5, group_a),
        ("A/100/0002", "Option two", 2, 6, group_a),
        ("A/100/0003", "Option three", 4, 2, group_a),
    ]
    units = {}
    for position, (code, title, level, credits, group) in enumerate(specs):
        unit = _unit(code, title, level=level, credits=credits)
        QualificationUnit.objects.create(
            qualification=qualification, unit=unit, group=group, position=position
        )
        units[code[:1] + code[-1]] = unit
    return Combo(qualification, mandatory, group_a, units)


def _set(obj, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()


def test_all_rules_met_with_running_totals(combo):
    _set(combo.group_a, min_units=1, max_units=2, min_credits=5, max_credits=11)
    _set(combo.qualification, min_credits=18, min_credits_at_level=9, at_level=3)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2"))
    assert (check.problems, check.notes) == ([], [])
    assert [
        (t.name, t.units_chosen, t.units_total, t.credits_chosen, t.rule, t.ok)
        for t in check.groups
    ] == [
        ("Mandatory units", 2, 2, 7, "all 2 units", True),
        ("Optional group A", 2, 3, 11, "1–2 units, 5–11 credits", True),
    ]
    assert (check.credits_chosen, check.level_credits, check.units_chosen) == (18, 9, 4)
    assert check.summary == "On track: 18 of 18 credits chosen."


def test_mandatory_unit_missing(combo):
    check = check_unit_choice(combo.qualification, combo.pick("M1", "A1"))
    assert check.problems == ["Mandatory unit M/100/0002 Mandatory two is not chosen."]
    assert check.summary == "Not on track: 1 rule of combination not met."
    assert [t.ok for t in check.groups] == [False, True]


def test_unit_outside_the_qualification_and_no_units(combo):
    stranger = _unit("J/100/0009", "Stranger", level=2, credits=1)
    check = check_unit_choice(combo.qualification, [*combo.pick("M1", "M2"), stranger])
    assert check.problems == ["Unit J/100/0009 Stranger is not part of 600/0002/2."]
    assert check_unit_choice(combo.qualification, []).problems[0] == (
        "Choose the units the learner will take."
    )


def test_group_minimum_units(combo):
    _set(combo.group_a, min_units=2)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1"))
    assert check.problems == ["Optional group A: at least 2 units; 1 chosen."]


def test_group_maximum_units(combo):
    _set(combo.group_a, max_units=2)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2", "A3"))
    assert check.problems == ["Optional group A: at most 2 units; 3 chosen."]
    assert check.groups[1].rule == "at most 2 units"


def test_group_minimum_credits(combo):
    _set(combo.group_a, min_credits=6)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1"))
    assert check.problems == ["Optional group A: at least 6 credits; 5 chosen."]
    assert check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A2")).ok


def test_group_maximum_credits(combo):
    _set(combo.group_a, max_credits=10)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2"))
    assert check.problems == ["Optional group A: at most 10 credits; 11 chosen."]
    assert check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A3")).ok


def test_minimum_total_credits(combo):
    _set(combo.qualification, min_credits=15)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1"))
    assert check.problems == ["In total: at least 15 credits; 12 chosen."]
    assert check.summary == "Not on track: 1 rule of combination not met."
    met = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A3", "A2"))
    assert (met.problems, met.summary) == ([], "On track: 20 of 15 credits chosen.")


def test_minimum_total_credits_boundary(combo):
    _set(combo.qualification, min_credits=14)
    assert check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A3")).ok
    _set(combo.qualification, min_credits=15)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A3"))
    assert check.problems == ["In total: at least 15 credits; 14 chosen."]


def test_minimum_credits_at_or_above_a_level(combo):
    # M2 (4, L3) and A1 (5, L3) count at level 3; M1 (L2) and A2 (L2) do not; A3 (L4) does.
    _set(combo.qualification, min_credits_at_level=10, at_level=3)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2"))
    assert check.problems == ["At least 10 credits at level 3 or above; 9 chosen."]
    assert check.level_credits == 9
    met = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A3"))
    assert (met.problems, met.level_credits) == ([], 11)


def test_barred_combination(combo):
    BarredCombination.objects.create(
        qualification=combo.qualification, unit=combo.units["A1"], barred=combo.units["A2"]
    )
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2"))
    assert check.problems == [
        "Unit A/100/0001 Option one cannot be taken with unit A/100/0002 Option two "
        "(barred combination)."
    ]
    assert check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A3")).ok


def test_credit_rules_not_checked_when_credits_are_unknown(combo):
    _set(combo.units["A1"], credit_value=None)
    _set(combo.group_a, min_credits=9, max_credits=12)
    _set(combo.qualification, min_credits=30, min_credits_at_level=20, at_level=3)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1"))
    assert check.problems == []
    assert check.notes == [
        "Optional group A: at least 9 credits was not checked; 1 unit chosen has no credit "
        "value in the catalogue.",
        "Optional group A: at most 12 credits was not checked; 1 unit chosen has no credit "
        "value in the catalogue.",
        "In total: at least 30 credits was not checked; 1 unit chosen has no credit value in "
        "the catalogue.",
        "At least 20 credits at level 3 or above was not checked; 1 unit chosen has no level "
        "or credit value in the catalogue.",
    ]
    assert (check.credits_chosen, check.without_credits) == (7, 1)
    assert (check.ok, check.on_track) == (True, False)
    assert check.summary == (
        "Not checked: 7 of 30 credits known; 1 unit chosen has no credit value in the catalogue."
    )


def test_a_maximum_already_passed_is_a_problem_even_with_unknown_credits(combo):
    _set(combo.units["A3"], credit_value=None)
    _set(combo.group_a, max_credits=10)
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2", "A3"))
    assert check.problems == ["Optional group A: at most 10 credits; 11 chosen."]


def test_no_rules_recorded_says_so(combo):
    combo.mandatory.is_mandatory = False
    combo.mandatory.save()
    check = check_unit_choice(combo.qualification, combo.pick("A1"))
    assert (check.problems, check.notes, check.has_rules) == ([], [NO_RULES], False)
    assert NO_RULES.startswith("No rules of combination are recorded for this qualification")


def test_only_mandatory_units_recorded_says_so(combo):
    check = check_unit_choice(combo.qualification, combo.pick("M1", "M2"))
    assert (check.problems, check.notes, check.has_rules) == ([], [ONLY_MANDATORY], True)


def test_queries_do_not_grow_with_units(combo, django_assert_num_queries):
    with django_assert_num_queries(3):
        check_unit_choice(combo.qualification, combo.pick("M1", "M2", "A1", "A2", "A3"))


def test_the_diploma_from_the_seed_documents(db):
    load_seed_catalogue()
    diploma = Qualification.objects.get(number="601/3734/4")
    mandatory = list(diploma.units.filter(qualification_units__group__is_mandatory=True))
    assert len(mandatory) == 5
    check = check_unit_choice(diploma, mandatory)
    # Its seed records no credits and no optional rule: nothing is invented, and it says so.
    assert (check.problems, check.notes) == ([], [ONLY_MANDATORY])
    assert check.summary == "On track: 5 units chosen."
    without = [u for u in mandatory if u.code != "A/506/2130"]
    assert check_unit_choice(diploma, without).problems == [
        "Mandatory unit A/506/2130 Deliver customer service is not chosen."
    ]
