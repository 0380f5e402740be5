from django.core.management import call_command

from portfolios.rules import check_unit_choice
from qualifications.models import Qualification, QualificationUnit, UnitGroup
from tests.portfolios.helpers import make_unit


def test_all_rules_met(catalogue):
    check = check_unit_choice(catalogue.qualification, catalogue.mandatory + catalogue.optional)
    assert (check.problems, check.notes) == ([], [])


def test_each_missing_thing_is_named(catalogue):
    check = check_unit_choice(catalogue.qualification, [catalogue.short_course])
    assert check.problems == [
        "Unit J/100/0009 Customer service operations is not part of 600/0001/1.",
        "Mandatory unit A/100/0001 Deliver customer service is not chosen.",
        "Mandatory unit A/100/0002 Communicate with customers is not chosen.",
        "Optional units: choose at least 1 unit; 0 chosen.",
    ]


def test_no_units_at_all(catalogue):
    assert check_unit_choice(catalogue.qualification, []).problems == [
        "Choose the units the learner will take."
    ]


def test_credit_rules_checked_when_units_have_credits(catalogue):
    qualification = catalogue.qualification
    qualification.min_credits = 20
    qualification.save()
    optional = UnitGroup.objects.get(qualification=qualification, name="Optional units")
    optional.min_credits = 6
    optional.save()
    for unit, credits in zip(catalogue.mandatory + catalogue.optional, [5, 6, 4], strict=True):
        unit.credit_value = credits
        unit.save()
    check = check_unit_choice(qualification, catalogue.mandatory + catalogue.optional)
    assert check.problems == [
        "The group Optional units needs at least 6 credits; the chosen units give 4.",
        "The qualification 600/0001/1 needs at least 20 credits; the chosen units give 15.",
    ]
    assert check.notes == []


def test_credit_rule_skipped_and_said_when_credits_are_unknown(catalogue):
    qualification = catalogue.qualification
    qualification.min_credits = 20
    qualification.save()
    check = check_unit_choice(qualification, catalogue.mandatory + catalogue.optional)
    assert check.problems == []
    assert check.notes == [
        "The minimum of 20 credits for the qualification 600/0001/1 was not checked: "
        "3 units chosen have no credit value in the catalogue."
    ]


def test_credit_rule_met_by_known_credits_needs_no_note(catalogue):
    qualification = catalogue.qualification
    qualification.min_credits = 5
    qualification.save()
    unit = catalogue.mandatory[0]
    unit.credit_value = 9
    unit.save()
    check = check_unit_choice(qualification, catalogue.mandatory + catalogue.optional)
    assert (check.problems, check.notes) == ([], [])


def test_optional_group_minimum_units(catalogue):
    group = UnitGroup.objects.get(qualification=catalogue.qualification, name="Optional units")
    group.min_units = 2
    group.save()
    extra = make_unit("B/100/0004", "Handle mail", outcomes=1, criteria=1)
    QualificationUnit.objects.create(
        qualification=catalogue.qualification, unit=extra, group=group, position=9
    )
    check = check_unit_choice(catalogue.qualification, catalogue.mandatory + catalogue.optional)
    assert check.problems == ["Optional units: choose at least 2 units; 1 chosen."]


def test_the_diploma_from_the_seed_documents(db):
    call_command("load_catalogue", verbosity=0)
    diploma = Qualification.objects.get(number="601/3734/4")
    mandatory = list(diploma.units.filter(qualification_units__group__is_mandatory=True))
    assert len(mandatory) == 5
    assert check_unit_choice(diploma, mandatory).ok
    without = [u for u in mandatory if u.code != "A/506/2130"]
    assert check_unit_choice(diploma, without).problems == [
        "Mandatory unit A/506/2130 Deliver customer service is not chosen."
    ]
