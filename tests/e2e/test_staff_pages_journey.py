"""The staff's pages, each role in turn, at a laptop's width and a phone's: axe-core checks every
page (tests/e2e/axe.py), and no page scrolls sideways as a whole."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership
from moderation.models import SamplingPlan
from portfolios.enums import DecisionOutcome
from tests.e2e.waits import wait_for_fragments
from tests.moderation.conftest import add_evidence, criteria, decide, enrol, moderate, sign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff_pages(catalogue, centre, learner, tutor, internal_moderator, centre_admin):
    """Unit A met, signed off and referred back by ivy; B 1.1 not yet met; an item waiting."""
    enrolment = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    unit_a, unit_b = catalogue.unit_a, catalogue.unit_b
    item = add_evidence(enrolment, learner, criteria_list=criteria(unit_a) + criteria(unit_b))
    decide(enrolment, tutor, criteria(unit_a), evidence=item)
    decide(enrolment, tutor, criteria(unit_b)[:1], DecisionOutcome.NOT_YET_MET)
    sign(enrolment, unit_a, tutor)
    moderate(
        enrolment, unit_a, internal_moderator, "referred", reopen_criteria=[criteria(unit_a)[0]]
    )
    waiting = add_evidence(enrolment, learner, criteria_list=criteria(unit_b), title="Phone log")
    plan = SamplingPlan.objects.create(
        centre=centre,
        qualification=catalogue.qualification,
        tutor=tutor,
        created_by=internal_moderator,
    )
    record = [
        reverse("moderation:enrolment_record", args=[enrolment.pk]),
        reverse("moderation:unit_record", args=[enrolment.pk, unit_a.pk]),
        reverse("moderation:criterion_detail", args=[enrolment.pk, criteria(unit_a)[0].pk]),
        reverse("moderation:enrolment_audit", args=[enrolment.pk]),
        reverse("portfolio", args=[enrolment.pk]),
        reverse("enrolment_list", args=[centre.pk]),
    ]
    return {
        tutor: [
            reverse("moderation:tutor_queue"),
            reverse("moderation:evidence_assess", args=[waiting.pk]),
            *record,
        ],
        internal_moderator: [
            reverse("moderation:plan_list", args=[centre.pk]),
            reverse("moderation:plan_detail", args=[plan.pk]),
            reverse("moderation:referral_list", args=[centre.pk]),
            reverse("moderation:sample_decide", args=[enrolment.pk, unit_a.pk, "internal"]),
            *record,
        ],
        centre_admin: [
            reverse("centre_detail", args=[centre.pk]),
            reverse("person_detail", args=[centre.pk, learner.pk]),
            reverse("person_add", args=[centre.pk]),
            reverse("intake_upload", args=[centre.pk]),
            reverse("moderation:grant_list", args=[centre.pk]),
            reverse("moderation:grant_create", args=[centre.pk]),
            reverse("moderation:centre_audit", args=[centre.pk]),
            reverse("cohort_print_list", args=[centre.pk]),
            reverse("enrolment_update", args=[enrolment.pk]),
            reverse("catalogue"),
            reverse("qualification_detail", args=[catalogue.qualification.pk]),
            reverse("unit_detail", args=[unit_a.slug]),
            *record,
        ],
    }


@pytest.mark.parametrize("width", [1366, 390])
def test_staff_pages_pass_axe_and_fit(page, live_server, sign_in, password, staff_pages, width):
    page.set_viewport_size({"width": width, "height": 800})
    too_wide = []
    for person, paths in staff_pages.items():
        page.context.clear_cookies()
        sign_in(person.username, password)
        expect(page.get_by_test_id("dashboard-title")).to_be_visible()
        assert Membership.objects.filter(user=person).count() == 1
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            wait_for_fragments(page)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide.append(f"{person.username} {path}: {scroll_width} px")
    assert too_wide == []
