"""The mapping page shows where the learner stands: each criterion's status and how many other
items cover it, units that are locked, and a refusal that names each tick it cannot keep."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolios.models import EvidenceCriterion
from tests.moderation.conftest import add_evidence, decide, sign
from tests.portfolios.conftest import criteria_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_a(enrolment):
    return enrolment.units.get(code="A/100/0001")


@pytest.fixture
def unit_b(enrolment):
    return enrolment.units.get(code="A/100/0002")


@pytest.fixture
def signed_a(enrolment, learner, tutor, unit_a):
    """Unit A met in full by a submitted item (E001) and signed off."""
    item = add_evidence(enrolment, learner, criteria_list=criteria_of(unit_a), title="Shift log")
    decide(enrolment, tutor, criteria_of(unit_a), evidence=item)
    sign(enrolment, unit_a, tutor)
    return item


@pytest.fixture
def draft(enrolment, learner, unit_b, signed_a):
    """A draft (E002) mapped to the first criterion of unit B."""
    return add_evidence(
        enrolment, learner, criteria_list=criteria_of(unit_b)[:1], title="Call log", submit=False
    )


def map_url(item):
    return reverse("evidence_map", args=[item.pk])


def test_each_criterion_shows_its_status_and_how_many_other_items_cover_it(
    client, learner, draft, unit_a, unit_b
):
    client.force_login(learner)
    page = client.get(map_url(draft))
    rows = {r.unit.code: r for r in page.context["picker"].units}
    a_first, b_first = criteria_of(unit_a)[0], criteria_of(unit_b)[0]
    line = {c.criterion.pk: c for o in rows["A/100/0001"].outcomes for c in o.criteria}[a_first.pk]
    assert (line.status, line.others) == ("met", 1)
    b_line = rows["A/100/0002"].outcomes[0].criteria[0]
    assert (b_line.status, b_line.others) == ("linked", 0)  # covered by this draft only
    text = page.text
    assert f'data-testid="map-status-{a_first.pk}">Met<' in text
    assert f'data-testid="map-others-{a_first.pk}">1 other item<' in text
    assert f'data-testid="map-others-{b_first.pk}">no other item<' in text
    # Unit tallies: unit A all met; unit B one of its criteria evidenced here.
    a_total = len(criteria_of(unit_a))
    b_total = len(criteria_of(unit_b))
    assert f"{a_total} met · 0 evidenced · 0 to do" in text
    assert f"0 met · 1 evidenced · {b_total - 1} to do" in text


def test_units_are_collapsible_and_open_where_the_item_has_ticks(
    client, learner, draft, unit_a, unit_b
):
    client.force_login(learner)
    text = client.get(map_url(draft)).text
    opening = '<details class="card mb-3 map-unit" data-filter-group'
    assert f'{opening} open data-testid="map-unit-{unit_b.pk}">' in text
    assert f'{opening} data-testid="map-unit-{unit_a.pk}">' in text
    assert "1 ticked here" in text


def test_a_locked_unit_is_shown_but_cannot_be_ticked(client, learner, draft, unit_a):
    client.force_login(learner)
    page = client.get(map_url(draft))
    locked = {r.unit.code: r.locked for r in page.context["picker"].units}
    assert locked == {"A/100/0001": True, "A/100/0002": False, "B/100/0003": False}
    criterion = criteria_of(unit_a)[0]
    text = page.text
    assert f'id="criterion-{criterion.pk}" disabled' in text
    assert f'name="criteria" value="{criterion.pk}"' not in text
    assert "Your tutor has signed this unit off, so it is locked" in text


def test_saving_names_each_tick_it_cannot_keep_and_keeps_the_rest(
    client, learner, draft, unit_a, unit_b, catalogue
):
    client.force_login(learner)
    locked = criteria_of(unit_a)[1]
    outside = criteria_of(catalogue.short_course)[0]
    keep = criteria_of(unit_b)[1]
    response = client.post(map_url(draft), {"criteria": [locked.pk, keep.pk, outside.pk]})
    assert response.status_code == 400
    errors = list(response.context["form"].errors["criteria"])
    assert errors == [
        f"Criterion #{outside.pk} is not in this portfolio's units (its unit may have been "
        "withdrawn or changed version); untick it.",
        f"A/100/0001 {locked.shown_number}: the unit is signed off and locked, so evidence "
        "can no longer be mapped to it.",
    ]
    # Nothing saved; every tick sent comes back ticked.
    assert list(draft.links.values_list("criterion_id", flat=True)) == [criteria_of(unit_b)[0].pk]
    assert response.context["checked"] == {locked.pk, keep.pk, outside.pk}
    assert f'value="{keep.pk}" id="criterion-{keep.pk}" checked' in response.text
    assert "your other ticks are kept" in response.text


def test_a_link_already_made_to_a_unit_locked_since_is_kept(
    client, enrolment, learner, tutor, unit_a, unit_b
):
    """A draft that covered a unit before its sign-off keeps that link when saved again."""
    first = criteria_of(unit_a)
    item = add_evidence(enrolment, learner, criteria_list=first, title="Shift log")
    draft = add_evidence(enrolment, learner, criteria_list=first[:1], title="Rota", submit=False)
    decide(enrolment, tutor, first, evidence=item)
    sign(enrolment, unit_a, tutor)
    client.force_login(learner)
    text = client.get(map_url(draft)).text
    assert f'<input type="hidden" name="criteria" value="{first[0].pk}">' in text
    response = client.post(map_url(draft), {"criteria": [first[0].pk, criteria_of(unit_b)[0].pk]})
    assert response.status_code == 302
    assert set(
        EvidenceCriterion.objects.filter(evidence=draft).values_list("criterion_id", flat=True)
    ) == {first[0].pk, criteria_of(unit_b)[0].pk}


def test_a_forged_value_is_named(client, learner, draft):
    client.force_login(learner)
    response = client.post(map_url(draft), {"criteria": ["1;drop"]})
    assert response.status_code == 400
    assert list(response.context["form"].errors["criteria"]) == ["“1;drop” is not a criterion."]


def test_the_filter_finds_a_criterion_by_number_or_words(client, learner, draft, unit_b):
    client.force_login(learner)
    text = client.get(map_url(draft)).text
    criterion = criteria_of(unit_b)[0]
    assert "Find a criterion by number or words" in text
    assert (
        f'data-filter-text="a/100/0002 {unit_b.title.lower()} {criterion.shown_number} '
        f'{criterion.text.lower()}"'
    ) in text


def test_the_page_costs_the_same_queries_with_more_evidence(
    client, enrolment, learner, draft, unit_b
):
    client.force_login(learner)
    client.get(map_url(draft))
    with CaptureQueriesContext(connection) as before:
        client.get(map_url(draft))
    for n in range(4):
        add_evidence(enrolment, learner, criteria_list=criteria_of(unit_b), title=f"More {n}")
    with CaptureQueriesContext(connection) as after:
        client.get(map_url(draft))
    assert len(after) == len(before)
