"""Observations, professional discussions and "seen and verified": records on evidence items,
each written by the learner's tutor through its service with its audit entry."""

import datetime
import io
import wave

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AppendOnlyError, AuditEntry
from portfolios import services
from portfolios.models import (
    DiscussionEntry,
    Evidence,
    Observation,
    ProfessionalDiscussion,
    WorkplaceVerification,
)
from qualifications.models import EvidenceMethod
from tests.access_matrix_data import snapshot
from tests.accounts.test_two_factor import code_for, enrolled
from tests.factories import PASSWORD
from tests.portfolios.conftest import criteria_of, stored_files
from tests.portfolios.helpers import minimal_pdf, upload


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


@pytest.fixture
def covered(enrolment):
    return criteria_of(enrolment.units.get(code="A/100/0001"))[:2]


def _observation(covered, **extra):
    return {
        "title": "Observed at the front desk",
        "observed": "Alice greeted three customers and resolved a refund.",
        "place": "Riverside Hotel reception",
        "observed_at": "2026-03-02T10:30",
        "criteria": [c.pk for c in covered],
        "password": PASSWORD,
        "code": "",
    } | extra


# ---------------------------------------------------------------- observation


def test_the_tutor_records_and_signs_an_observation(client, tutor, enrolment, covered):
    client.force_login(tutor)
    response = client.post(
        reverse("observation_create", args=[enrolment.pk]), _observation(covered)
    )

    observation = Observation.objects.get()
    evidence = observation.evidence
    assert response.status_code == 302
    assert response["Location"] == evidence.get_absolute_url()
    assert observation.observed == "Alice greeted three customers and resolved a refund."
    assert observation.place == "Riverside Hotel reception"
    assert timezone.localtime(observation.observed_at).strftime("%Y-%m-%d %H:%M") == (
        "2026-03-02 10:30"
    )
    assert observation.signed_by == tutor
    assert observation.signature_name == "Bob Bobfield"
    assert sorted(observation.criteria.values_list("pk", flat=True)) == [c.pk for c in covered]
    assert (evidence.reference, evidence.method.slug) == ("E001", "observation")
    assert evidence.title == "Observed at the front desk"
    assert evidence.text == observation.observed
    assert evidence.date == datetime.date(2026, 3, 2)
    assert evidence.created_by == tutor
    assert evidence.submitted_at is None
    assert sorted(evidence.links.values_list("criterion_id", flat=True)) == [c.pk for c in covered]
    entry = AuditEntry.objects.get(action=AuditAction.OBSERVATION_SIGNED)
    assert entry.actor == tutor
    assert entry.data["place"] == "Riverside Hotel reception"
    assert entry.data["signature"] == "Bob Bobfield"
    assert entry.data["criteria"] == [c.pk for c in covered]
    assert verify_chain().ok
    with pytest.raises(AppendOnlyError):
        observation.save()

    page = client.get(evidence.get_absolute_url()).content.decode()
    assert "Observation record" in page
    assert "Riverside Hotel reception" in page
    assert "Bob Bobfield" in page


def test_the_learner_submits_the_observation_and_it_reaches_the_queue(
    client, tutor, learner, enrolment, covered
):
    client.force_login(tutor)
    client.post(reverse("observation_create", args=[enrolment.pk]), _observation(covered))
    evidence = Evidence.objects.get()
    services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    queue = client.get(reverse("moderation:tutor_queue")).content.decode()
    assert "Observed at the front desk" in queue


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"password": "wrong"}, "That is not your password"),
        ({"place": ""}, "This field is required"),
        ({"observed_at": "2099-01-01T09:00"}, "An observation cannot be in the future"),
        ({"criteria": []}, "Choose at least one criterion"),
    ],
)
def test_a_bad_observation_is_refused_and_changes_nothing(
    client, tutor, enrolment, covered, extra, message
):
    client.force_login(tutor)
    before = snapshot()
    response = client.post(
        reverse("observation_create", args=[enrolment.pk]), _observation(covered, **extra)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider", 404), ("second_tutor", 404), ("learner", 403), ("internal_moderator", 403)],
)
def test_only_the_learners_tutor_records_an_observation(
    request, client, enrolment, covered, who, status
):
    person = request.getfixturevalue(who)
    client.force_login(person)
    before = snapshot()
    url = reverse("observation_create", args=[enrolment.pk])
    assert client.get(url).status_code == status
    data = _observation(covered) | {"password": PASSWORD}
    assert client.post(url, data).status_code == status
    assert snapshot() == before


# ---------------------------------------------------------------- professional discussion


def _discussion(covered, **extra):
    return {
        "title": "Discussion of the service offer",
        "date": "2026-03-03",
        "question_1": "How do you handle a complaint?",
        "answer_1": "I listen, apologise and agree what happens next.",
        "question_2": "Who do you pass a refund to?",
        "answer_2": "The duty manager, over 50 pounds.",
        "criteria": [c.pk for c in covered],
    } | extra


def test_the_tutor_records_a_discussion_with_its_recording(
    client, tutor, enrolment, covered, media_root
):
    client.force_login(tutor)
    data = _discussion(covered, audio=upload("discussion.wav", wav_bytes()))
    response = client.post(reverse("discussion_create", args=[enrolment.pk]), data)

    discussion = ProfessionalDiscussion.objects.get()
    evidence = discussion.evidence
    assert response.status_code == 302
    assert [(e.order, e.question, e.answer) for e in discussion.entries.all()] == [
        (1, "How do you handle a complaint?", "I listen, apologise and agree what happens next."),
        (2, "Who do you pass a refund to?", "The duty manager, over 50 pounds."),
    ]
    assert discussion.audio == evidence.files.get()
    assert discussion.audio.name == "discussion.wav"
    assert discussion.audio.content_type.startswith("audio/")
    assert evidence.method.slug == "professional-discussion"
    assert evidence.date == datetime.date(2026, 3, 3)
    assert evidence.text == (
        "Q1. How do you handle a complaint?\n"
        "A. I listen, apologise and agree what happens next.\n\n"
        "Q2. Who do you pass a refund to?\n"
        "A. The duty manager, over 50 pounds."
    )
    assert AuditEntry.objects.filter(action=AuditAction.DISCUSSION_RECORDED).count() == 3
    assert verify_chain().ok
    page = client.get(evidence.get_absolute_url()).content.decode()
    assert "Who do you pass a refund to?" in page
    assert "Professional discussion" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"answer_2": ""}, "Each question needs its answer"),
        (
            {"question_1": "", "answer_1": "", "question_2": "", "answer_2": ""},
            "Write at least one question and its answer",
        ),
        ({"date": "2099-01-01"}, "A discussion cannot be in the future"),
    ],
)
def test_a_bad_discussion_is_refused_and_changes_nothing(
    client, tutor, enrolment, covered, extra, message
):
    client.force_login(tutor)
    before = snapshot()
    response = client.post(
        reverse("discussion_create", args=[enrolment.pk]), _discussion(covered, **extra)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_recording_that_is_not_audio_is_refused_and_not_stored(
    client, tutor, enrolment, covered, media_root
):
    client.force_login(tutor)
    before = snapshot()
    data = _discussion(covered, audio=upload("notes.pdf", minimal_pdf("Notes")))
    response = client.post(reverse("discussion_create", args=[enrolment.pk]), data)
    assert response.status_code == 400
    assert "The recording must be an audio file" in response.content.decode()
    assert snapshot() == before
    assert stored_files(media_root) == []
    assert DiscussionEntry.objects.count() == 0


# ---------------------------------------------------------------- seen and verified


@pytest.fixture
def workplace_item(enrolment, learner, covered):
    evidence = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Stock rotation records",
        method=EvidenceMethod.objects.get(slug="product-evidence"),
        date=datetime.date(2026, 2, 20),
        workplace_location="Back office, blue folder",
        criteria=covered,
    )
    services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    return evidence


def test_the_tutor_records_seen_and_verified(client, tutor, workplace_item):
    client.force_login(tutor)
    response = client.post(
        reverse("evidence_verify", args=[workplace_item.pk]),
        {"verified_on": "2026-03-04", "place": "Riverside Hotel back office"},
    )

    verification = WorkplaceVerification.objects.get()
    assert response.status_code == 302
    assert verification.evidence == workplace_item
    assert verification.verified_on == datetime.date(2026, 3, 4)
    assert verification.place == "Riverside Hotel back office"
    assert verification.verified_by == tutor
    assert verification.verifier_name == "Bob Bobfield"
    entry = AuditEntry.objects.get(action=AuditAction.WORKPLACE_VERIFIED)
    assert entry.summary == ("E001 seen and verified on 4 Mar 2026 at Riverside Hotel back office")
    assert verify_chain().ok
    page = client.get(workplace_item.get_absolute_url()).content.decode()
    assert "on 4 March 2026 at Riverside Hotel back office, by Bob Bobfield" in page

    before = snapshot()
    again = client.post(
        reverse("evidence_verify", args=[workplace_item.pk]),
        {"verified_on": "2026-03-05", "place": "Elsewhere"},
    )
    assert again.status_code == 400
    assert "has been seen and verified already" in again.content.decode()
    assert snapshot() == before


def test_only_workplace_evidence_is_verified(client, tutor, enrolment, learner, covered):
    item = services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="My reflection",
        method=EvidenceMethod.objects.get(slug="reflective-account"),
        date=datetime.date(2026, 2, 20),
        text="I reflected.",
        criteria=covered,
    )
    client.force_login(tutor)
    page = client.get(item.get_absolute_url()).content.decode()
    assert 'Record "seen and verified"' not in page
    before = snapshot()
    response = client.post(
        reverse("evidence_verify", args=[item.pk]),
        {"verified_on": "2026-03-04", "place": "Office"},
    )
    assert response.status_code == 400
    assert "is not workplace evidence" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "status"), [("outsider", 404), ("learner", 403), ("centre_admin", 403)]
)
def test_only_the_learners_tutor_verifies(request, client, workplace_item, who, status):
    client.force_login(request.getfixturevalue(who))
    before = snapshot()
    url = reverse("evidence_verify", args=[workplace_item.pk])
    assert client.get(url).status_code == status
    response = client.post(url, {"verified_on": "2026-03-04", "place": "Office"})
    assert response.status_code == status
    assert snapshot() == before


def test_a_future_verification_date_is_refused(client, tutor, workplace_item):
    client.force_login(tutor)
    before = snapshot()
    response = client.post(
        reverse("evidence_verify", args=[workplace_item.pk]),
        {"verified_on": "2099-01-01", "place": "Office"},
    )
    assert response.status_code == 400
    assert "The date cannot be in the future" in response.content.decode()
    assert snapshot() == before


def test_the_portfolio_offers_the_tutor_the_methods_and_no_one_else(
    client, tutor, learner, enrolment
):
    url = reverse("portfolio", args=[enrolment.pk])
    client.force_login(tutor)
    page = client.get(url).content.decode()
    assert reverse("observation_create", args=[enrolment.pk]) in page
    assert reverse("witness_request", args=[enrolment.pk]) in page
    client.force_login(learner)
    page = client.get(url).content.decode()
    assert reverse("observation_create", args=[enrolment.pk]) not in page


def test_a_tutor_with_an_app_signs_the_observation_with_its_code(
    client, tutor, enrolment, covered, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device, codes = enrolled(tutor)
    client.force_login(tutor)
    # Signed in with a recovery code (which signs in, never signs a record).
    client.post(reverse("two_factor_verify"), {"token": codes[0]})
    url = reverse("observation_create", args=[enrolment.pk])
    before = snapshot()

    missing = client.post(url, _observation(covered))
    recovery = client.post(url, _observation(covered, code=codes[1]))

    assert missing.status_code == 400
    assert "Type the current code from your authenticator app." in missing.content.decode()
    assert recovery.status_code == 400
    assert Observation.objects.count() == 0
    assert snapshot() == before
    signed = client.post(url, _observation(covered, code=code_for(device)))
    assert signed.status_code == 302
    assert Observation.objects.get().signature_name == "Bob Bobfield"


def test_the_records_add_the_same_queries_to_any_evidence_page(
    client, tutor, enrolment, covered, evidence, django_assert_num_queries
):
    client.force_login(tutor)
    client.post(reverse("observation_create", args=[enrolment.pk]), _observation(covered))
    observed = Observation.objects.get().evidence
    plain = _count(client, evidence.get_absolute_url())
    with django_assert_num_queries(plain):
        page = client.get(observed.get_absolute_url())
    assert "Observation record" in page.content.decode()


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
