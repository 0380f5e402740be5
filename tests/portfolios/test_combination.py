"""The rules of combination where the units are chosen: the enrolment form's live check, the
service refusing a forged choice, and "on track" on the portfolio."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portfolios.models import Enrolment
from qualifications.models import BarredCombination, QualificationUnit, UnitGroup
from tests.portfolios.conftest import enrol
from tests.portfolios.helpers import make_unit


@pytest.fixture
def rules(catalogue):
    """Credits on every unit, a second optional unit, a barred pair and a total of 12."""
    for unit, credits in zip(catalogue.mandatory + catalogue.optional, [3, 4, 5], strict=True):
        unit.credit_value = credits
        unit.save()
    optional = UnitGroup.objects.get(qualification=catalogue.qualification, name="Optional units")
    optional.max_units = 1
    optional.save()
    extra = make_unit("B/100/0004", "Handle mail", outcomes=1, criteria=1, credits=6)
    QualificationUnit.objects.create(
        qualification=catalogue.qualification, unit=extra, group=optional, position=9
    )
    BarredCombination.objects.create(
        qualification=catalogue.qualification, unit=catalogue.optional[0], barred=extra
    )
    catalogue.qualification.min_credits = 12
    catalogue.qualification.save()
    return extra


def _check_url(centre, catalogue, units):
    query = "&".join(f"units={u.pk}" for u in units)
    return (
        reverse("enrolment_create", args=[centre.pk])
        + f"?qualification={catalogue.qualification.pk}&check=1&{query}"
    )


def test_live_check_shows_running_totals_and_broken_rules(
    client, centre, centre_admin, catalogue, rules
):
    client.force_login(centre_admin)
    units = [*catalogue.mandatory, catalogue.optional[0], rules]
    response = client.get(_check_url(centre, catalogue, units))
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["portfolios/_unit_check.html"]
    check = response.context["check"]
    assert [(t.name, t.units_chosen, t.credits_chosen, t.ok) for t in check.groups] == [
        ("Mandatory units", 2, 7, True),
        ("Optional units", 2, 11, False),
    ]
    assert check.problems == [
        "Optional units: at most 1 unit; 2 chosen.",
        "Unit B/100/0003 Manage diary systems cannot be taken with unit B/100/0004 Handle mail "
        "(barred combination).",
    ]
    assert "Not on track: 2 rules of combination not met." in response.text
    assert "Optional units: at most 1 unit; 2 chosen." in response.text
    assert "<html" not in response.text
    assert Enrolment.objects.count() == 0


def test_live_check_on_track(client, centre, centre_admin, catalogue, rules):
    client.force_login(centre_admin)
    response = client.get(_check_url(centre, catalogue, [*catalogue.mandatory, rules]))
    assert response.context["check"].problems == []
    assert "On track: 13 of 12 credits chosen." in response.text
    missing = client.get(_check_url(centre, catalogue, catalogue.mandatory))
    assert missing.context["check"].problems == [
        "Optional units: at least 1 unit; 0 chosen.",
        "In total: at least 12 credits; 7 chosen.",
    ]


def test_live_check_ignores_units_of_other_qualifications(
    client, centre, centre_admin, catalogue, rules
):
    client.force_login(centre_admin)
    response = client.get(
        _check_url(centre, catalogue, [*catalogue.mandatory, rules, catalogue.short_course])
    )
    assert response.context["check"].units_chosen == 3


def test_live_check_is_for_the_centres_admin_only(
    client, centre, centre_admin, tutor, outsider, catalogue, rules
):
    url = _check_url(centre, catalogue, catalogue.mandatory)
    client.force_login(tutor)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_enrolment_form_wires_the_live_check(client, centre, centre_admin, catalogue, rules):
    client.force_login(centre_admin)
    url = (
        reverse("enrolment_create", args=[centre.pk])
        + f"?qualification={catalogue.qualification.pk}"
    )
    page = client.get(url)
    assert f'hx-get="{url}"' in page.text
    assert 'hx-vals=\'{"check": "1"}\'' in page.text
    # The mandatory units start ticked, so the first check is already shown.
    assert page.context["check"].problems == [
        "Optional units: at least 1 unit; 0 chosen.",
        "In total: at least 12 credits; 7 chosen.",
    ]
    assert "In total: at least 12 credits; 7 chosen." in page.text


def test_edit_form_live_check_counts_withdrawn_units(client, enrolment, centre_admin, catalogue):
    client.force_login(centre_admin)
    url = (
        reverse("enrolment_update", args=[enrolment.pk])
        + "?check=1&units="
        + str(catalogue.mandatory[0].pk)
    )
    response = client.get(url)
    assert response.context["check"].problems == [
        "Mandatory unit A/100/0002 Communicate with customers is not chosen.",
        "Optional units: at least 1 unit; 0 chosen.",
    ]


def test_forged_post_breaking_a_rule_is_refused(
    client, centre, centre_admin, learner, tutor, catalogue, rules
):
    client.force_login(centre_admin)
    url = (
        reverse("enrolment_create", args=[centre.pk])
        + f"?qualification={catalogue.qualification.pk}"
    )
    response = client.post(
        url,
        {
            "learner": learner.pk,
            "tutor": tutor.pk,
            "start_date": "2026-02-01",
            "planned_end_date": "2026-11-30",
            "units": [u.pk for u in [*catalogue.mandatory, catalogue.optional[0], rules]],
        },
    )
    assert response.status_code == 400
    assert "(barred combination)" in response.text
    assert Enrolment.objects.count() == 0


def test_service_refuses_a_rule_breaking_choice(
    centre, centre_admin, learner, tutor, catalogue, rules
):
    with pytest.raises(ValidationError) as refused:
        enrol(
            catalogue,
            centre=centre,
            learner=learner,
            tutor=tutor,
            by=centre_admin,
            units=[*catalogue.mandatory, catalogue.optional[0], rules],
        )
    assert refused.value.messages == [
        "Optional units: at most 1 unit; 2 chosen.",
        "Unit B/100/0003 Manage diary systems cannot be taken with unit B/100/0004 Handle mail "
        "(barred combination).",
    ]
    assert Enrolment.objects.count() == 0


def test_portfolio_says_on_track(client, centre, centre_admin, learner, tutor, catalogue, rules):
    enrolment = enrol(
        catalogue,
        centre=centre,
        learner=learner,
        tutor=tutor,
        by=centre_admin,
        units=[*catalogue.mandatory, rules],
    )
    for person in (learner, tutor, centre_admin):
        client.force_login(person)
        response = client.get(reverse("portfolio", args=[enrolment.pk]))
        assert "On track: 13 of 12 credits chosen." in response.text


def test_portfolio_says_what_is_missing(
    client, centre, centre_admin, learner, catalogue, enrolment
):
    catalogue.qualification.min_credits = 20
    catalogue.qualification.save()
    for unit in catalogue.mandatory + catalogue.optional:
        unit.credit_value = 4
        unit.save()
    client.force_login(learner)
    response = client.get(reverse("portfolio", args=[enrolment.pk]))
    assert response.context["combination"].problems == ["In total: at least 20 credits; 12 chosen."]
    assert "Not on track: 1 rule of combination not met." in response.text
    assert "In total: at least 20 credits; 12 chosen." in response.text


def test_portfolio_of_a_qualification_without_rules_says_so(client, learner, catalogue, enrolment):
    UnitGroup.objects.filter(qualification=catalogue.qualification).update(
        is_mandatory=False, min_units=None
    )
    client.force_login(learner)
    response = client.get(reverse("portfolio", args=[enrolment.pk]))
    assert "No rules of combination are recorded for this qualification" in response.text
