"""Notifications name their object, clear once what they point to is acted on, and may come
as one e-mail a day."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import send_digests
from moderation.enums import SampleOutcome
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from tests.moderation.conftest import add_evidence, criteria, decide, moderate, sign
from tests.portfolios.helpers import shown_text


def _unread(user, kind):
    return list(
        Notification.objects.unread()
        .filter(recipient=user, kind=kind)
        .values_list("message", flat=True)
    )


def test_decision_on_an_item_names_it_and_links_to_it(
    client, enrolment, learner, tutor, catalogue, evidence
):
    first, second = criteria(catalogue.unit_a)[:2]
    decide(enrolment, tutor, [first], evidence=evidence)
    decide(enrolment, tutor, [second], DecisionOutcome.NOT_YET_MET, evidence=evidence)
    # The newer notice of the item replaces the older one.
    [note] = Notification.objects.unread().filter(recipient=learner, kind="decided")
    assert (
        note.message
        == "E001 Complaint log assessed by Bob Bobfield: 1 criterion not yet met (1.2)."
    )
    assert note.url == reverse("evidence_detail", args=[evidence.pk])
    client.force_login(learner)
    page = client.get(reverse("moderation:notification_list"))
    assert shown_text(page.text, f"notification-link-{note.pk}") == note.message
    assert ">Open<" not in page.text
    opened = client.post(reverse("moderation:notification_open", args=[note.pk]))
    assert opened["Location"] == note.url
    note.refresh_from_db()
    assert note.read_at is not None


def test_tutors_notice_clears_once_the_item_is_decided(enrolment, learner, tutor, catalogue):
    item = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_b))
    other = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_a), title="Log")
    assert _unread(tutor, "evidence_submitted") == [
        "E002 Log submitted by Alice Alicefield",
        "E001 Complaint log submitted by Alice Alicefield",
    ]
    decide(enrolment, tutor, criteria(catalogue.unit_b), evidence=item)
    assert _unread(tutor, "evidence_submitted") == ["E002 Log submitted by Alice Alicefield"]
    assert other.pk


def test_learners_notice_clears_when_the_not_yet_met_is_answered(
    enrolment, learner, tutor, catalogue, evidence
):
    unit_b = criteria(catalogue.unit_b)
    decide(enrolment, tutor, unit_b[:1], DecisionOutcome.NOT_YET_MET, evidence=evidence)
    assert len(_unread(learner, "decided")) == 1
    # Evidence for another criterion answers nothing.
    add_evidence(enrolment, learner, criteria_list=unit_b[1:], title="Other")
    assert len(_unread(learner, "decided")) == 1
    # New evidence covering the criterion not yet met does.
    add_evidence(enrolment, learner, criteria_list=unit_b[:1], title="Second example")
    assert _unread(learner, "decided") == []


def test_learners_notice_clears_when_the_item_is_corrected(
    enrolment, learner, tutor, catalogue, evidence, method_reflective
):
    decide(
        enrolment,
        tutor,
        criteria(catalogue.unit_a)[:1],
        DecisionOutcome.NOT_YET_MET,
        evidence=evidence,
    )
    correction = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Complaint log, corrected",
        method=method_reflective,
        date=evidence.date,
        text="With the procedure I followed.",
        supersedes=evidence,
    )
    assert len(_unread(learner, "decided")) == 1  # a draft answers nothing yet
    portfolio_services.evidence_submit(items=[correction], by=learner, declaration_confirmed=True)
    assert _unread(learner, "decided") == []


def test_sign_off_notice_clears_when_acknowledged(
    enrolment, learner, tutor, internal_moderator, signed_unit, catalogue
):
    from moderation import services

    assert _unread(learner, "signed") == [
        "A/100/0001 Deliver customer service signed off by Bob Bobfield: add your comment and "
        "acknowledge it."
    ]
    assert len(_unread(internal_moderator, "signed")) == 1
    services.sign_off_acknowledge(sign_off=signed_unit, by=learner)
    assert _unread(learner, "signed") == []
    # The internal moderator's clears when they sample the unit.
    moderate(enrolment, catalogue.unit_a, internal_moderator)
    assert _unread(internal_moderator, "signed") == []


def test_referral_notice_clears_for_the_tutor_when_signed_again(
    enrolment, learner, tutor, internal_moderator, signed_unit, catalogue
):
    moderate(enrolment, catalogue.unit_a, internal_moderator, SampleOutcome.REFERRED)
    assert len(_unread(tutor, "referred")) == 1
    assert len(_unread(learner, "referred")) == 1
    sign(enrolment, catalogue.unit_a, tutor, comments="Put right.")
    assert _unread(tutor, "referred") == []
    # The referral is closed by the moderator's next decision: the learner's clears then.
    assert len(_unread(learner, "referred")) == 1
    moderate(enrolment, catalogue.unit_a, internal_moderator)
    assert _unread(learner, "referred") == []


def test_daily_digest_replaces_one_mail_per_event(
    client, enrolment, learner, tutor, catalogue, django_capture_on_commit_callbacks
):
    client.force_login(tutor)
    response = client.post(reverse("moderation:notification_digest"), {"daily": "1"})
    assert response.status_code == 302
    tutor.refresh_from_db()
    assert tutor.daily_digest is True
    with django_capture_on_commit_callbacks(execute=True):
        first = add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_a))
        add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_b), title="Log")
    assert mail.outbox == []  # nothing per event
    # Something acted on before the morning is left out of the digest.
    decide(enrolment, tutor, criteria(catalogue.unit_a), evidence=first)
    mail.outbox.clear()  # the learner's own mail of the decision
    assert send_digests() == 1
    [digest] = mail.outbox
    assert digest.to == [tutor.email]
    assert digest.subject == "[Portfolio] Your daily summary: 1 new"
    assert "E002 Log submitted by Alice Alicefield" in digest.body
    assert "E001" not in digest.body
    # Sent once: the next morning has nothing new.
    assert send_digests() == 0
    assert len(mail.outbox) == 1


def test_per_event_mail_is_the_default_and_can_be_chosen_again(
    client, enrolment, learner, tutor, catalogue, django_capture_on_commit_callbacks
):
    client.force_login(tutor)
    client.post(reverse("moderation:notification_digest"), {"daily": "1"})
    client.post(reverse("moderation:notification_digest"), {"daily": "0"})
    tutor.refresh_from_db()
    assert tutor.daily_digest is False
    with django_capture_on_commit_callbacks(execute=True):
        add_evidence(enrolment, learner, criteria_list=criteria(catalogue.unit_a))
    assert [m.to for m in mail.outbox] == [[tutor.email]]
    assert send_digests() == 0


def test_digest_choice_refuses_bad_input_and_strangers(client, tutor):
    response = client.post(reverse("moderation:notification_digest"), {"daily": "1"})
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(tutor)
    client.post(reverse("moderation:notification_digest"), {"daily": "sometimes"})
    tutor.refresh_from_db()
    assert tutor.daily_digest is False


def test_digest_is_queued_each_morning_once(db, capsys):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from accounts.tasks import send_notification_digests

    call_command("send_notification_digests", "--schedule")
    call_command("send_notification_digests", "--schedule")  # bin/run does this at every start
    (queued,) = DBTaskResult.objects.filter(
        task_path=send_notification_digests.module_path, status=TaskResultStatus.READY
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert timezone.localtime(queued.run_after) == timezone.make_aware(
        datetime.datetime.combine(tomorrow, datetime.time(7, 0))
    )
    out = capsys.readouterr().out
    assert "The daily digest is queued." in out
    assert "The daily digest was queued already." in out


@pytest.fixture
def method_reflective(db):
    from qualifications.models import EvidenceMethod

    return EvidenceMethod.objects.get_or_create(
        slug="reflective-account", defaults={"name": "Reflective account"}
    )[0]
