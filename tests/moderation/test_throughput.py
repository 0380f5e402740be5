"""The tutor's throughput: save and open the next item, sign a ready unit from the queue,
shared feedback shown once, no "just now ago"."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from moderation import dashboards
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, UnitSignOff
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.moderation.conftest import add_evidence, criteria, decide, enrol

pytestmark = pytest.mark.django_db


def assess_url(item):
    return reverse("moderation:evidence_assess", args=[item.pk])


def all_met(item, **extra) -> dict:
    data = {"decided_on": timezone.localdate().isoformat(), "feedback": ""}
    for link in item.links.select_related("criterion"):
        data[f"outcome_{link.criterion_id}"] = DecisionOutcome.MET
    return data | extra


@pytest.fixture
def three_waiting(enrolment, learner, catalogue):
    """Three of alice's items in bob's queue, oldest first: E001, E002, E003."""
    unit_a, unit_b = criteria(catalogue.unit_a), criteria(catalogue.unit_b)
    return [
        add_evidence(enrolment, learner, criteria_list=unit_a[:2], title="First"),
        add_evidence(enrolment, learner, criteria_list=unit_a[2:], title="Second"),
        add_evidence(enrolment, learner, criteria_list=unit_b, title="Third"),
    ]


def test_save_and_next_opens_the_oldest_other_item(client, tutor, three_waiting):
    first, second, _ = three_waiting
    client.force_login(tutor)
    response = client.post(assess_url(first), all_met(first, then="next"))
    assert response.status_code == 302
    assert response.url == assess_url(second)
    assert CriterionDecision.objects.filter(outcome=DecisionOutcome.MET).count() == 2


def test_save_and_next_from_a_later_item_still_opens_the_oldest(client, tutor, three_waiting):
    first, _, third = three_waiting
    client.force_login(tutor)
    response = client.post(assess_url(third), all_met(third, then="next"))
    assert response.url == assess_url(first)


def test_save_and_next_on_the_last_item_opens_the_queue(client, tutor, three_waiting):
    client.force_login(tutor)
    for item in three_waiting[:2]:
        client.post(assess_url(item), all_met(item, then="next"))
    response = client.post(assess_url(three_waiting[2]), all_met(three_waiting[2], then="next"))
    assert response.url == reverse("moderation:tutor_queue")
    queue = client.get(response.url)
    assert list(queue.context["items"]) == []


def test_plain_save_stays_on_the_item(client, tutor, three_waiting):
    first = three_waiting[0]
    client.force_login(tutor)
    response = client.post(assess_url(first), all_met(first))
    assert response.url == assess_url(first)


def test_next_never_opens_another_tutors_learner(
    client, tutor, three_waiting, dora_enrolment, second_tutor, catalogue
):
    dora = dora_enrolment.learner
    older = add_evidence(
        dora_enrolment, dora, criteria_list=criteria(catalogue.unit_a)[:1], title="Dora's"
    )
    assert older.submitted_at is not None
    client.force_login(tutor)
    for item in three_waiting[:2]:
        response = client.post(assess_url(item), all_met(item, then="next"))
    assert response.url == assess_url(three_waiting[2])
    assert dashboards.next_in_queue(second_tutor, [dora_enrolment.centre], after=0) == older


def test_the_page_offers_all_met_save_and_next_and_names_the_keys(client, tutor, three_waiting):
    client.force_login(tutor)
    page = client.get(assess_url(three_waiting[0])).text
    assert 'name="then" value="next"' in page
    assert "Mark all mapped criteria met" in page
    assert 'aria-keyshortcuts="a"' in page and 'aria-keyshortcuts="s"' in page
    assert "<kbd>M</kbd> met and <kbd>N</kbd> not yet met" in page
    assert "just now ago" not in page
    assert "(just now)" in page
    # Every feedback box has a name of its own for assistive technology.
    for number in ("1.1", "1.2"):
        assert f">Feedback on {number}</label>" in page


def test_queue_offers_sign_off_of_a_unit_whose_criteria_are_all_met(
    client, tutor, enrolment, evidence, catalogue
):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    client.force_login(tutor)
    queue = client.get(reverse("moderation:tutor_queue"))
    assert [(e.pk, u.pk) for e, u in queue.context["ready"]] == [
        (enrolment.pk, catalogue.unit_a.pk)
    ]
    sign_url = reverse("moderation:unit_sign", args=[enrolment.pk, catalogue.unit_a.pk])
    assert f'action="{sign_url}"' in queue.text

    response = client.post(
        sign_url, {"comments": "All met.", "password": PASSWORD, "code": "", "then": "queue"}
    )
    assert response.status_code == 302
    assert response.url == reverse("moderation:tutor_queue")
    sign_off = UnitSignOff.objects.get(enrolment=enrolment, unit=catalogue.unit_a)
    assert (sign_off.signed_by, sign_off.comments) == (tutor, "All met.")
    assert client.get(response.url).context["ready"] == []


def test_signing_from_the_queue_with_a_wrong_password_signs_nothing(
    client, tutor, enrolment, evidence, catalogue
):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    client.force_login(tutor)
    sign_url = reverse("moderation:unit_sign", args=[enrolment.pk, catalogue.unit_a.pk])
    response = client.post(
        sign_url, {"comments": "All met.", "password": "wrong", "code": "", "then": "queue"}
    )
    assert response.status_code == 400
    assert not UnitSignOff.objects.exists()


def test_queue_offers_no_unit_with_a_criterion_not_met(
    client, tutor, enrolment, evidence, catalogue
):
    unit_a = criteria(catalogue.unit_a)
    decide(enrolment, tutor, unit_a[:-1], evidence=evidence)
    decide(enrolment, tutor, unit_a[-1:], DecisionOutcome.NOT_YET_MET, evidence=evidence)
    client.force_login(tutor)
    assert client.get(reverse("moderation:tutor_queue")).context["ready"] == []


def test_queue_never_offers_another_tutors_learner(
    client, second_tutor, enrolment, evidence, catalogue, tutor
):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    client.force_login(second_tutor)
    queue = client.get(reverse("moderation:tutor_queue"))
    assert queue.context["ready"] == []
    assert str(enrolment.learner) not in queue.text


def test_queue_queries_do_not_grow_with_ready_units(
    client, tutor, enrolment, evidence, catalogue, centre, centre_admin
):
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=evidence)
    client.force_login(tutor)
    client.get(reverse("moderation:tutor_queue"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("moderation:tutor_queue"))
    for n in range(3):
        other = UserFactory(username=f"learner{n}")
        MembershipFactory(user=other, centre=centre, role=Role.LEARNER)
        more = enrol(catalogue, centre=centre, learner=other, tutor=tutor, by=centre_admin)
        item = add_evidence(more, other, criteria_list=criteria(catalogue.unit_a))
        decide(more, tutor, criteria(catalogue.unit_a), evidence=item)
    with CaptureQueriesContext(connection) as four:
        response = client.get(reverse("moderation:tutor_queue"))
    assert len(response.context["ready"]) == 4
    assert len(four) == len(one)


def test_shared_feedback_is_shown_once_on_the_unit_record(
    client, tutor, enrolment, evidence, catalogue
):
    unit_a = criteria(catalogue.unit_a)
    decide(
        enrolment,
        tutor,
        unit_a,
        DecisionOutcome.NOT_YET_MET,
        evidence=evidence,
        feedback="Say which customer it was.",
    )
    client.force_login(tutor)
    page = client.get(
        reverse("moderation:unit_record", args=[enrolment.pk, catalogue.unit_a.pk])
    ).text
    # Unit A has two outcomes of two criteria: the words once in each outcome's table.
    assert page.count("Say which customer it was.") == 2
    assert page.count("Same feedback as above") == 2


def test_an_outcome_without_a_title_is_named_by_its_number(client, tutor, enrolment, catalogue):
    catalogue.unit_a.outcomes.update(title="")
    client.force_login(tutor)
    page = client.get(
        reverse("moderation:unit_record", args=[enrolment.pk, catalogue.unit_a.pk])
    ).text
    headings = re.findall(r"<h3[^>]*>([^<]*)</h3>", page)
    assert headings[:2] == ["Learning outcome 1", "Learning outcome 2"]
    assert "1. Learning outcome" not in page
