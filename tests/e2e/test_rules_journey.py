"""A centre admin enrols a learner and watches the rules of combination check the units live."""

import pytest
from playwright.sync_api import expect

from qualifications.models import Qualification, UnitGroup
from tests.catalogue import load_seed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def diploma(db):
    load_seed_catalogue()
    diploma = Qualification.objects.get(number="601/3734/4")
    for link in diploma.qualification_units.select_related("unit"):
        link.unit.credit_value = 4
        link.unit.save()
    diploma.min_credits = 24
    diploma.save()
    UnitGroup.objects.filter(qualification=diploma, name="Optional units").update(max_units=2)
    return diploma


def test_unit_choice_is_checked_as_units_are_ticked(
    page, sign_in, password, live_server, centre, centre_admin, learner, tutor, diploma
):
    sign_in(centre_admin.username, password)
    page.goto(f"{live_server.url}/portfolios/centres/{centre.pk}/enrol/?qualification={diploma.pk}")
    summary = page.get_by_test_id("check-summary")
    # The five mandatory units start ticked: 20 of 24 credits.
    expect(summary).to_have_text("Not on track: 1 rule of combination not met.")
    expect(page.get_by_test_id("check-problems")).to_have_text(
        "In total: at least 24 credits; 20 chosen."
    )
    optional = page.locator("fieldset").nth(1).locator("input[type=checkbox]")
    optional.nth(0).check()
    expect(summary).to_have_text("On track: 24 of 24 credits chosen.")
    optional.nth(1).check()
    optional.nth(2).check()
    expect(page.get_by_test_id("check-problems")).to_have_text(
        "Optional units: at most 2 units; 3 chosen."
    )
    expect(page.get_by_test_id("check-credits")).to_have_text("32")
