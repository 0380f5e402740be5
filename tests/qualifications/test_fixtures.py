"""The committed catalogue holds every seed document, exactly."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError

from qualifications.catalogue import import_seed_documents, serialize_catalogue
from qualifications.importer import parse_spec
from qualifications.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)
from tests.qualifications.seeds import SEED_NAMES, SEEDS_DIR, needs_seeds

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"

# Criteria per unit of the BIIAB Level 2 Diploma in Customer Service (seed 003), in its order.
DIPLOMA_UNITS = {
    "L/506/1807": 10, "H/506/1814": 12, "L/506/1869": 16, "M/506/1895": 13, "A/506/1964": 6,
    "L/506/1905": 10, "H/506/1912": 14, "L/503/0394": 23, "K/503/0421": 18, "T/505/4673": 8,
    "M/502/8587": 19, "R/502/8601": 10, "M/502/8606": 24, "F/502/4396": 9, "H/506/2154": 18,
    "K/506/2155": 21, "L/506/2133": 8, "R/506/2134": 11, "Y/506/2135": 10, "T/506/2143": 13,
    "T/506/2157": 12, "A/506/2158": 16, "F/506/2159": 14, "Y/506/2149": 12, "T/506/2160": 9,
    "A/506/2161": 11, "H/506/2977": 10, "J/506/2163": 11, "K/506/2978": 11, "R/506/2151": 17,
    "D/506/2170": 19, "D/506/2119": 16, "T/506/2126": 11, "A/506/2130": 20, "F/506/2131": 9,
    "J/506/2132": 23, "L/506/1788": 20, "R/506/1789": 13, "J/506/1806": 8,
}  # fmt: skip
MANDATORY = {"A/506/1964", "A/506/2130", "F/506/2131", "J/506/2132", "L/506/1788"}
PROVISIONAL_SLUG = "provisional-manage-customer-service-standards-provisional-title"


@pytest.fixture
def catalogue(db):
    call_command("load_catalogue", verbosity=0)


def test_diploma_has_39_units_5_mandatory_535_criteria(catalogue):
    diploma = Qualification.objects.get(number="601/3734/4")
    assert diploma.title == "BIIAB Level 2 Diploma in Customer Service"
    assert diploma.awarding_body.short_name == "BIIAB"
    assert diploma.level == 2
    links = QualificationUnit.objects.filter(qualification=diploma).select_related("unit", "group")
    assert [link.unit.code for link in links] == list(DIPLOMA_UNITS)
    assert {link.unit.code for link in links if link.is_mandatory} == MANDATORY
    per_unit = {link.unit.code: link.unit.criteria.count() for link in links}
    assert per_unit == DIPLOMA_UNITS
    assert (
        AssessmentCriterion.objects.filter(unit__qualification_units__qualification=diploma).count()
        == 535
    )


def test_level_4_unit_from_spec_and_checklist(catalogue):
    unit = Unit.objects.get(code="J/507/1557")
    assert (unit.title, unit.level, unit.credit_value, unit.glh) == (
        "Customer Service Operations",
        4,
        9,
        42,
    )
    assert [(c.scheme, c.code) for c in unit.other_codes.all()] == [("LASER", "WJE863")]
    assert [(o.number, o.criteria.count()) for o in unit.outcomes.all()] == [
        ("1", 7),
        ("2", 6),
        ("3", 6),
        ("4", 4),
    ]
    assert unit.outcomes.get(number="4").title == "Be able to deliver customer service."
    assert unit.outcomes.get(number="4").kind == "competence"
    assert unit.criteria.get(number="2.2").text == (
        "Evaluate the factors to be taken into account in the design of post-transaction "
        "procedures and processes."
    )
    assert unit.assessment_guidance == ""
    assert not unit.qualification_units.exists()


def test_deliver_customer_service_has_guidance_and_methods(catalogue):
    unit = Unit.objects.get(code="A/506/2130")
    assert unit.title == "Deliver customer service"
    first = unit.outcomes.get(number="1")
    assert "What the customer must have/requires." in first.guidance
    assert unit.outcomes.get(number="3").evidence_guidance.startswith("Observation")
    assert set(unit.evidence_methods.values_list("slug", flat=True)) >= {
        "observation",
        "witness-testimony",
        "professional-discussion",
        "questioning",
        "reflective-account",
        "product-evidence",
    }
    assert "held in the workplace" in unit.notes
    # The criteria keep the learner checklist's wording (003), not the guidance document's.
    assert unit.criteria.get(number="2.1").text == (
        "Explain the importance of a brand to an organisation"
    )


def test_untitled_unit_is_marked_provisional_and_needing_its_code(catalogue):
    unit = Unit.objects.get(slug=PROVISIONAL_SLUG)
    assert unit.code == ""
    assert unit.needs_code and unit.title_is_provisional
    assert [(o.number, o.criteria.count()) for o in unit.outcomes.all()] == [
        ("1", 2),
        ("2", 5),
        ("3", 1),
        ("4", 3),
        ("5", 4),
    ]
    assert unit.outcomes.get(number="2").content.startswith(
        "Sustainable approaches for customer satisfaction:"
    )
    assert unit.criteria.get(number="4.2").text == (
        "Identify techniques for improving motivation amongst employees"
    )


def test_catalogue_totals(catalogue):
    assert Unit.objects.count() == 41
    assert AssessmentCriterion.objects.count() == 535 + 23 + 15
    assert LearningOutcome.objects.filter(unit__code="J/507/1557").count() == 4


def test_loading_twice_duplicates_nothing(catalogue):
    call_command("load_catalogue", verbosity=0)
    assert Unit.objects.count() == 41
    assert AssessmentCriterion.objects.count() == 573


def test_criteria_order_by_number_not_text(catalogue):
    unit = Unit.objects.get(code="M/502/8606")
    numbers = list(unit.criteria.values_list("number", flat=True))
    assert numbers.index("1.2") < numbers.index("1.9") < numbers.index("1.10")
    assert numbers == sorted(numbers, key=lambda n: [int(p) for p in n.split(".")])


def test_database_refuses_second_criterion_with_same_number(catalogue):
    outcome = LearningOutcome.objects.get(unit__code="J/507/1557", number="1")
    with pytest.raises(IntegrityError):
        AssessmentCriterion.objects.create(outcome=outcome, number="1.1", text="Again")


def test_database_refuses_second_unit_with_same_code(catalogue):
    with pytest.raises(IntegrityError):
        Unit.objects.create(slug="copy", code="J/507/1557", title="Copy")


@needs_seeds
def test_fixture_is_what_the_importer_makes_from_the_seeds(db):
    import_seed_documents(SEEDS_DIR)
    assert json.loads(serialize_catalogue()) == json.loads(FIXTURE.read_text(encoding="utf-8"))


@needs_seeds
@pytest.mark.parametrize("seed", SEED_NAMES)
def test_importer_json_for_each_seed_matches_the_fixture(catalogue, seed):
    recognised = parse_spec((SEEDS_DIR / seed).read_text(encoding="utf-8")).to_json()
    for unit_json in recognised["units"]:
        if unit_json["code"]:
            unit = Unit.objects.get(code=unit_json["code"])
        else:
            # Code-less documents describe a unit the fixture holds under another key.
            numbers = [c["number"] for o in unit_json["outcomes"] for c in o["criteria"]]
            texts = [c["text"] for o in unit_json["outcomes"] for c in o["criteria"]]
            unit = Unit.objects.filter(criteria__number=numbers[0], criteria__text=texts[0]).first()
            if unit is None:  # the guidance document words some criteria differently
                unit = Unit.objects.get(code="A/506/2130")
        stored = {c.number: c.text for c in unit.criteria.all()}
        parsed = {c["number"]: c["text"] for o in unit_json["outcomes"] for c in o["criteria"]}
        assert set(parsed) == set(stored), unit
        if seed.startswith("002_"):
            continue  # guidance wording differs; it adds guidance, never criteria
        assert parsed == stored, unit
        for key in ("level", "credit_value", "glh"):
            if unit_json[key] is not None:
                assert unit_json[key] == getattr(unit, key)
        titles = {o["number"]: o["title"] for o in unit_json["outcomes"] if o["title"]}
        assert titles == {o.number: o.title for o in unit.outcomes.all() if o.number in titles}
