"""Witness testimony by a one-time link: the request, the public page, its lifetime, reuse,
tampering, access scope, the audit entry, and the tutor's judgement of what arrives."""

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from portfolios import methods, permissions
from portfolios.enums import WITNESS_DECLARATION_TEXT
from portfolios.models import (
    CriterionDecision,
    DecisionEvidence,
    Evidence,
    WitnessRequest,
    WitnessTestimony,
)
from tests.access_matrix_data import snapshot
from tests.portfolios.conftest import criteria_of

WITNESS = "jane.witness@example.com"
GONE = re.compile(r'data-testid="witness-gone">.*?</div>', re.S)
LINK = re.compile(r"https?://\S+/portfolios/witness/(?P<token>[^/\s]+)/")


@pytest.fixture
def asked(enrolment):
    """The two criteria of unit 1.1-1.2 of the first mandatory unit that bob asks about."""
    return criteria_of(enrolment.units.get(code="A/100/0001"))[:2]


@pytest.fixture(autouse=True)
def sent_on_commit(django_capture_on_commit_callbacks):
    """The e-mail goes once the request is saved: run the commit callbacks as they come."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def _request(client, tutor, enrolment, asked, **extra):
    client.force_login(tutor)
    data = {"witness_email": WITNESS, "days": 14, "criteria": [c.pk for c in asked]} | extra
    with _capture(execute=True):
        return client.post(reverse("witness_request", args=[enrolment.pk]), data)


_capture = None


@pytest.fixture
def token(client, tutor, enrolment, asked):
    response = _request(client, tutor, enrolment, asked)
    assert response.status_code == 302
    client.logout()
    return LINK.search(mail.outbox[-1].body)["token"]


def _testimony(asked, **extra):
    return {
        "name": "Jane Witness",
        "job_title": "Front desk supervisor",
        "relationship": "Line manager for two years",
        "text": "Alice greeted every customer and solved a billing complaint calmly.",
        f"criterion_{asked[0].pk}": "She listened, summarised and agreed the next step.",
        "confirm": "on",
    } | extra


def _url(token):
    return reverse("witness_testimony", args=[token])


# ---------------------------------------------------------------- the request


def test_request_emails_a_one_time_link_and_keeps_only_its_hash(client, tutor, enrolment, asked):
    before = timezone.now()
    response = _request(client, tutor, enrolment, asked)

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [WITNESS]
    assert message.subject == "Witness testimony for Alice"
    token = LINK.search(message.body)["token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    request = WitnessRequest.objects.get()
    assert request.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert request.enrolment == enrolment
    assert request.requested_by == tutor
    assert request.witness_email == WITNESS
    assert request.used_at is None
    assert before <= request.requested_at <= timezone.now()
    assert request.expires_at - request.requested_at == datetime.timedelta(days=14)
    assert sorted(request.criteria.values_list("pk", flat=True)) == sorted(c.pk for c in asked)
    entry = AuditEntry.objects.get(action=AuditAction.WITNESS_REQUESTED)
    assert entry.actor == tutor
    assert entry.enrolment_id == enrolment.pk
    assert entry.data["witness_email"] == WITNESS
    assert entry.data["criteria"] == sorted(c.pk for c in asked)
    # The token is in the e-mail only: not in the record, not in the trail.
    assert not any(token in str(row) for rows in snapshot().values() for row in rows)


def test_the_request_page_lists_it_waiting(client, tutor, enrolment, asked, token):
    client.force_login(tutor)
    page = client.get(reverse("witness_request", args=[enrolment.pk])).content.decode()
    assert WITNESS in page
    assert "Waiting" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"days": 0}, "greater than or equal to 1"),
        ({"days": 61}, "less than or equal to 60"),
        ({"witness_email": "alice@example.com"}, "The witness is someone else"),
        ({"witness_email": "not an address"}, "Enter a valid email address"),
        ({"criteria": []}, "Choose at least one criterion"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    client, tutor, enrolment, asked, learner, extra, message
):
    learner.email = "alice@example.com"
    learner.save()
    before = snapshot()
    response = _request(client, tutor, enrolment, asked, **extra)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before
    assert mail.outbox == []


def test_criteria_of_another_enrolments_units_are_refused(
    client, tutor, enrolment, catalogue, asked
):
    short_course = criteria_of(catalogue.short_course)[0]
    before = snapshot()
    response = _request(client, tutor, enrolment, asked, criteria=[short_course.pk])
    assert response.status_code == 400
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider", 404), ("second_tutor", 404), ("learner", 403), ("centre_admin", 403)],
)
def test_only_the_learners_tutor_requests(request, client, enrolment, asked, who, status):
    person = request.getfixturevalue(who)
    before = snapshot()
    client.force_login(person)
    url = reverse("witness_request", args=[enrolment.pk])
    assert client.get(url).status_code == status
    data = {"witness_email": WITNESS, "days": 14, "criteria": [c.pk for c in asked]}
    assert client.post(url, data).status_code == status
    assert snapshot() == before
    assert mail.outbox == []


def test_anonymous_is_sent_to_sign_in(client, enrolment):
    response = client.get(reverse("witness_request", args=[enrolment.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_centres_tutor_does_not_see_the_requests(
    client, tutor, enrolment, asked, token, outsider
):
    client.force_login(outsider)
    response = client.get(reverse("witness_request", args=[enrolment.pk]))
    assert response.status_code == 404
    assert WITNESS not in response.content.decode()


# ---------------------------------------------------------------- the witness's page


def test_the_witness_page_shows_the_first_name_and_criteria_only(
    client, enrolment, asked, token, evidence, tutor, learner
):
    response = client.get(_url(token))
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    # The link (its token) is never sent to another site.
    assert response["Referrer-Policy"] == "same-origin"
    assert "Witness testimony for Alice" in page
    for c in asked:
        assert c.text in page
    others = criteria_of(enrolment.units.get(code="A/100/0001"))[2:]
    others += criteria_of(enrolment.units.get(code="A/100/0002"))
    leaks = [
        learner.last_name,
        learner.email,
        tutor.first_name,
        tutor.last_name,
        enrolment.registration_number,
        enrolment.centre.name,
        enrolment.qualification.title,
        evidence.title,
        WITNESS,
        *(c.text for c in others),
    ]
    assert [leak for leak in leaks if leak and leak in page] == []


def test_the_testimony_becomes_submitted_evidence_audited_with_time_and_address(
    client, enrolment, asked, token, tutor
):
    request = WitnessRequest.objects.get()
    before = timezone.now()
    response = client.post(_url(token), _testimony(asked), REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    assert "Your testimony for Alice was received" in response.content.decode()
    testimony = WitnessTestimony.objects.get()
    evidence = testimony.evidence
    assert before <= testimony.submitted_at <= timezone.now()
    assert (testimony.name, testimony.job_title, testimony.relationship) == (
        "Jane Witness",
        "Front desk supervisor",
        "Line manager for two years",
    )
    assert testimony.text == "Alice greeted every customer and solved a billing complaint calmly."
    assert testimony.statements == [
        {
            "criterion": asked[0].pk,
            "number": asked[0].shown_number,
            "text": "She listened, summarised and agreed the next step.",
        }
    ]
    assert testimony.ip_address == "203.0.113.7"
    assert testimony.declaration == WITNESS_DECLARATION_TEXT
    assert evidence.reference == "E001"
    assert evidence.title == "Witness testimony from Jane Witness, Front desk supervisor"
    assert evidence.method.slug == "witness-testimony"
    assert evidence.created_by == tutor
    assert evidence.submitted_by is None
    assert evidence.submitted_at == testimony.submitted_at
    assert evidence.declaration == WITNESS_DECLARATION_TEXT
    assert evidence.text == (
        "Alice greeted every customer and solved a billing complaint calmly.\n\n"
        f"A/100/0001 {asked[0].shown_number}: She listened, summarised and agreed the next step."
    )
    assert sorted(evidence.links.values_list("criterion_id", flat=True)) == sorted(
        c.pk for c in asked
    )
    request.refresh_from_db()
    assert request.used_at == testimony.submitted_at

    entry = AuditEntry.objects.get(
        action=AuditAction.WITNESS_TESTIMONY, object_type="portfolios.witnesstestimony"
    )
    assert entry.actor is None
    assert entry.actor_name == "Jane Witness (witness)"
    assert entry.enrolment_id == enrolment.pk
    assert entry.data["ip_address"] == "203.0.113.7"
    assert entry.data["submitted_at"] == DjangoJSONEncoder().default(testimony.submitted_at)
    assert entry.created_at >= testimony.submitted_at
    submitted = AuditEntry.objects.get(action=AuditAction.EVIDENCE_SUBMITTED, object_id=evidence.pk)
    assert submitted.data["declaration"] == WITNESS_DECLARATION_TEXT
    assert verify_chain().ok


def test_the_testimony_waits_in_the_tutors_queue_and_is_judged_met(
    client, enrolment, asked, token, tutor
):
    client.post(_url(token), _testimony(asked))
    evidence = Evidence.objects.get(method__slug="witness-testimony")
    client.force_login(tutor)
    queue = client.get(reverse("moderation:tutor_queue")).content.decode()
    assert evidence.title in queue

    response = client.post(
        reverse("moderation:evidence_assess", args=[evidence.pk]),
        {"decided_on": timezone.localdate().isoformat()}
        | {f"outcome_{c.pk}": "met" for c in asked},
    )

    assert response.status_code == 302
    met = CriterionDecision.objects.filter(enrolment=enrolment).met()
    assert sorted(met.values_list("criterion_id", flat=True)) == sorted(c.pk for c in asked)
    rests_on = DecisionEvidence.objects.filter(decision__in=met).values_list("evidence_id")
    assert sorted(rests_on) == [(evidence.pk,), (evidence.pk,)]
    evidence.refresh_from_db()
    assert evidence.assessed_at is not None
    assert evidence.title not in client.get(reverse("moderation:tutor_queue")).content.decode()
    page = client.get(evidence.get_absolute_url()).content.decode()
    assert "Jane Witness, Front desk supervisor" in page
    assert "the witness, through the one-time link" in page


def test_the_tutor_cannot_rewrite_a_witnesss_testimony(client, enrolment, asked, token, tutor):
    client.post(_url(token), _testimony(asked))
    evidence = Evidence.objects.get(method__slug="witness-testimony")
    assert not permissions.can_correct_evidence(tutor, evidence)
    client.force_login(tutor)
    url = reverse("evidence_create", args=[enrolment.pk]) + f"?corrects={evidence.pk}"
    assert client.get(url).status_code == 403


# ---------------------------------------------------------------- lifetime, reuse, tampering


def test_the_link_works_once(client, asked, token):
    assert client.post(_url(token), _testimony(asked)).status_code == 200
    before = snapshot()

    again = client.get(_url(token))
    resent = client.post(_url(token), _testimony(asked, name="Someone Else"))

    assert again.status_code == 410
    assert "This link has been used" in again.content.decode()
    assert resent.status_code == 410
    assert "A link works once" in resent.content.decode()
    assert snapshot() == before
    assert WitnessTestimony.objects.get().name == "Jane Witness"


def test_an_expired_link_says_so_and_changes_nothing(client, asked, token):
    request = WitnessRequest.objects.get()
    past = timezone.now() - datetime.timedelta(seconds=1)
    WitnessRequest.objects.filter(pk=request.pk).update(
        requested_at=past - datetime.timedelta(days=14), expires_at=past
    )
    before = snapshot()

    page = client.get(_url(token))
    post = client.post(_url(token), _testimony(asked))

    assert page.status_code == 410
    assert "This link expired on" in page.content.decode()
    assert post.status_code == 410
    assert snapshot() == before
    assert Evidence.objects.count() == 0


def test_a_link_still_works_just_before_it_expires(client, asked, token):
    WitnessRequest.objects.update(expires_at=timezone.now() + datetime.timedelta(minutes=1))
    assert client.post(_url(token), _testimony(asked)).status_code == 200
    assert WitnessTestimony.objects.count() == 1


def test_a_link_of_a_withdrawn_enrolment_is_closed(client, asked, token, enrolment):
    type(enrolment).objects.filter(pk=enrolment.pk).update(status="withdrawn")
    before = snapshot()
    response = client.post(_url(token), _testimony(asked))
    assert response.status_code == 410
    assert "programme has ended" in response.content.decode()
    assert snapshot() == before


def _tampered(token: str) -> list[str]:
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    return [
        flipped,
        token[:-1],
        token + "x",
        "x" * len(token),
        # Someone who reads the database: the stored hash is not a key.
        WitnessRequest.objects.get().token_hash,
    ]


def test_tampered_and_unknown_tokens_get_one_answer_and_change_nothing(client, asked, token):
    before = snapshot()
    answers = set()
    for bad in _tampered(token):
        for response in (client.get(_url(bad)), client.post(_url(bad), _testimony(asked))):
            assert response.status_code == 404
            answers.add(GONE.search(response.content.decode())[0])
    assert answers == {GONE.search(client.get(_url("unknown")).content.decode())[0]}
    assert "This link is not valid" in answers.pop()
    assert snapshot() == before
    # The real link still works afterwards.
    assert client.get(_url(token)).status_code == 200


def test_an_unconfirmed_testimony_is_sent_back_and_the_link_kept(client, asked, token):
    before = snapshot()
    response = client.post(_url(token), _testimony(asked, confirm=""))
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert snapshot() == before
    assert client.get(_url(token)).status_code == 200


def test_an_empty_testimony_is_refused(client, asked, token):
    data = _testimony(asked, text="  ") | {f"criterion_{asked[0].pk}": ""}
    before = snapshot()
    response = client.post(_url(token), data)
    assert response.status_code == 400
    assert "Write what you saw the learner do" in response.content.decode()
    assert snapshot() == before


def test_the_witness_form_needs_its_csrf_token(asked, token):
    client = Client(enforce_csrf_checks=True)
    before = snapshot()
    assert client.post(_url(token), _testimony(asked)).status_code == 403
    assert snapshot() == before


def test_the_site_admin_shows_a_request_but_not_its_hash(client, token, admin_user):
    request = WitnessRequest.objects.get()
    client.force_login(admin_user)
    response = client.get(reverse("admin:portfolios_witnessrequest_change", args=[request.pk]))
    assert response.status_code == 200
    assert WITNESS in response.content.decode()
    assert request.token_hash not in response.content.decode()


def _ask(enrolment, tutor, asked, n):
    for i in range(n):
        methods.witness_request_create(
            enrolment=enrolment,
            by=tutor,
            witness_email=f"witness{i}@example.com",
            criteria=asked,
            days=7,
            link_for=lambda token: f"http://testserver/{token}/",
        )


def test_the_request_list_costs_the_same_for_1_and_30_requests(
    client, tutor, enrolment, asked, django_assert_num_queries
):
    url = reverse("witness_request", args=[enrolment.pk])
    client.force_login(tutor)
    _ask(enrolment, tutor, asked, 1)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _ask(enrolment, tutor, asked, 29)
    with django_assert_num_queries(len(one)):
        page = client.get(url).content.decode()
    assert page.count("Waiting") == 30
