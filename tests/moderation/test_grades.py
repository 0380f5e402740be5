"""The tutor's assessment screens on a graded unit: each criterion by its printed label and
band, the unit's grade and what its next grade needs, the qualification's grade, and the
specification version."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from moderation import services
from tests.graded import (
    by_label,
    decide,
    enrol,
    make_graded_qualification,
    make_graded_unit,
    submit_evidence,
)


@pytest.fixture
def graded(db):
    unit = make_graded_unit(code="T/500/0001", title="Investigate systems")
    return make_graded_qualification([unit]), unit


@pytest.fixture
def graded_enrolment(graded, centre, learner, tutor, centre_admin):
    qualification, unit = graded
    enrolment = enrol(
        qualification, [unit], centre=centre, learner=learner, tutor=tutor, by=centre_admin
    )
    item = submit_evidence(enrolment, learner, unit.criteria.all())
    criteria = by_label(unit)
    decide(enrolment, tutor, [criteria[x] for x in ("P1", "P2", "P3", "M1")])
    return enrolment, item


def text_of(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    return " ".join(match.group(1).split()) if match else ""


def test_unit_record_shows_labels_bands_and_the_grade(client, graded, graded_enrolment, tutor):
    _, unit = graded
    enrolment, _ = graded_enrolment
    criteria = by_label(unit)
    client.force_login(tutor)
    page = client.get(
        reverse("moderation:unit_record", args=[enrolment.pk, unit.pk])
    ).content.decode()
    assert text_of(page, "unit-grade") == "Grade: Pass"
    assert text_of(page, "unit-needs") == "Merit needs M2"
    assert text_of(page, "unit-version") == "version 1"
    assert text_of(page, f"band-{criteria['D2'].pk}") == "Distinction"
    labels = re.findall(r'<th scope="row" class="criterion-number ps-3 ac">(\w+)</th>', page)
    assert labels == ["P1", "P2", "M1", "D1", "P3", "M2", "D2"]


def test_enrolment_record_shows_the_unit_and_qualification_grades(
    client, graded, graded_enrolment, tutor
):
    _, unit = graded
    enrolment, _ = graded_enrolment
    client.force_login(tutor)
    page = client.get(reverse("moderation:enrolment_record", args=[enrolment.pk])).content.decode()
    assert text_of(page, f"unit-grade-{unit.pk}") == "Grade: Pass"
    assert text_of(page, "qualification-spec") == "(version 1)"
    # One Pass (7 points) of one unit: a pass (merit needs 23).
    assert "Qualification grade:</span> Pass, 7 points" in page


def test_evidence_assessment_names_criteria_by_label_and_band(
    client, graded, graded_enrolment, tutor
):
    _, unit = graded
    _, item = graded_enrolment
    criteria = by_label(unit)
    client.force_login(tutor)
    page = client.get(reverse("moderation:evidence_assess", args=[item.pk])).content.decode()
    assert "T/500/0001 M2</span>" in page
    assert text_of(page, f"band-{criteria['M2'].pk}") == "Merit"
    assert 'aria-label="Decision on D1"' in page


def test_criterion_page_and_refusals_use_the_printed_label(client, graded, graded_enrolment, tutor):
    _, unit = graded
    enrolment, _ = graded_enrolment
    d1 = by_label(unit)["D1"]
    client.force_login(tutor)
    url = reverse("moderation:criterion_detail", args=[enrolment.pk, d1.pk])
    page = client.get(url).content.decode()
    assert '<span class="criterion-number">D1</span>' in page
    assert text_of(page, f"band-{d1.pk}") == "Distinction"
    with pytest.raises(ValidationError) as refused:
        services.criteria_decide(
            enrolment=enrolment,
            by=tutor,
            decided_on=timezone.localdate(),
            requests=[services.DecisionRequest(criterion_id=d1.pk, outcome="not_yet_met")],
        )
    assert refused.value.messages == ["D1: say what is missing (feedback for the learner)."]
