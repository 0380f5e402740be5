"""Personal access tokens: made and revoked by their owner on /accounts/tokens/, shown once,
stored hashed, audited; refused by the API when wrong, revoked, expired, or when their owner
could no longer sign in; a read token cannot write."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.enums import TokenScope
from accounts.models import PersonalAccessToken
from accounts.tokens import MAX_USABLE_TOKENS, token_create, token_revoke
from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from tests.accounts.test_two_factor import code_for, enrolled, sign_in
from tests.api.conftest import Api, criteria, make_token


def _made(client, **data):
    return client.post(
        reverse("token_list"), {"name": "Nightly sync", "scope": "read", "days": 30, **data}
    )


def test_making_a_token_shows_it_once_and_keeps_only_its_hash(client, learner):
    client.force_login(learner)
    response = _made(client, scope="write", days=90)
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("pat_")
    assert secret in response.content.decode()
    token = PersonalAccessToken.objects.get(user=learner)
    assert (token.name, token.scope) == ("Nightly sync", TokenScope.WRITE)
    assert token.expires_at - token.created_at == datetime.timedelta(days=90)
    _, _, raw = secret[len("pat_") :].partition("_")
    assert token.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    # Nowhere in the database: not in the token's row, not in the audit trail.
    with connection.cursor() as cursor:
        for table in ("accounts_personalaccesstoken", "audit_auditentry"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            dump = repr(cursor.fetchall())
            assert raw not in dump and secret not in dump
    # The list shows its name and prefix, never the secret again.
    page = client.get(reverse("token_list")).content.decode()
    assert "Nightly sync" in page and f"pat_{token.prefix}_" in page and raw not in page
    entry = AuditEntry.objects.get(action=AuditAction.TOKEN_CREATED)
    assert (entry.actor, entry.object_id) == (learner, token.pk)
    assert entry.data["scope"] == "write" and entry.data["days"] == 90


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": ""}, "name"), ({"days": 1000}, "days"), ({"scope": "admin"}, "scope")],
)
def test_bad_token_forms_are_refused_and_make_nothing(client, learner, data, field):
    client.force_login(learner)
    response = _made(client, **data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.TOKEN_CREATED).exists()


def test_token_pages_need_signing_in(client, db):
    response = client.get(reverse("token_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_owner_revokes_and_the_token_stops_working(client, learner):
    secret = make_token(learner)
    token = PersonalAccessToken.objects.get(user=learner)
    assert Api(secret).get("/me").status_code == 200
    client.force_login(learner)
    response = client.post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = AuditEntry.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert (entry.actor, entry.object_id) == (learner, token.pk)
    answer = Api(secret).get("/me")
    assert answer.status_code == 401
    assert answer.json()["detail"] == "A valid, unexpired API token is needed."


def test_nobody_else_revokes_a_token(client, learner, tutor):
    make_token(learner)
    token = PersonalAccessToken.objects.get(user=learner)
    client.force_login(tutor)
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(ValidationError):
        token_revoke(token=token, by=tutor)
    assert "alice-sync" not in client.get(reverse("token_list")).content.decode()


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer pat_",
        "Bearer pat_000000000000_wrong",
        "Bearer not-a-token",
        "Basic YWxpY2U6cGFzcw==",
    ],
)
def test_missing_or_wrong_tokens_get_401(client, learner, header):
    make_token(learner)
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "alice" not in response.content.decode()


def test_right_prefix_wrong_secret_gets_401(learner):
    secret = make_token(learner)
    assert Api(secret[:-4] + "AAAA").get("/me").status_code == 401


def test_an_expired_token_gets_401(learner):
    secret = make_token(learner)
    PersonalAccessToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert Api(secret).get("/me").status_code == 401


def test_a_deactivated_person_s_token_gets_401(learner):
    secret = make_token(learner)
    learner.is_active = False
    learner.save()
    assert Api(secret).get("/me").status_code == 401


def test_a_token_stops_when_the_centre_requires_a_second_factor_not_set_up(tutor, centre):
    secret = make_token(tutor)
    centre.staff_two_factor_required = True
    centre.save()
    assert Api(secret).get("/me").status_code == 401
    enrolled(tutor)
    assert Api(secret).get("/me").status_code == 200


def test_a_session_cookie_is_no_token(client, learner):
    client.force_login(learner)
    assert client.get("/api/me").status_code == 401


def test_me_names_the_owner_and_the_token(learner, centre):
    response = Api(make_token(learner, TokenScope.READ)).get("/me")
    body = response.json()
    assert (body["username"], body["token_scope"]) == ("alice", "read")
    assert body["roles"] == [
        {
            "centre_id": centre.pk,
            "centre_name": "Alpha College",
            "centre_number": "A0001",
            "role": "learner",
        }
    ]
    # A learner's data: never kept by a browser or proxy, as the signed-in pages.
    assert "no-store" in response["Cache-Control"]


def test_last_used_is_recorded(learner):
    secret = make_token(learner)
    assert PersonalAccessToken.objects.get().last_used_at is None
    Api(secret).get("/me")
    assert PersonalAccessToken.objects.get().last_used_at is not None


def test_someone_with_a_second_factor_needs_a_verified_session(client, tutor, password):
    device, _ = enrolled(tutor)
    with pytest.raises(ValidationError, match="second factor"):
        token_create(user=tutor, name="x", scope="read", days=7, session_verified=False)
    # Password only: the page is not served, the second step is.
    sign_in(client, tutor, password)
    response = _made(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert not PersonalAccessToken.objects.exists()
    # After the code, the token is made.
    client.post(reverse("two_factor_verify"), {"token": code_for(device)})
    assert _made(client).status_code == 200
    assert PersonalAccessToken.objects.filter(user=tutor).count() == 1


def test_staff_a_centre_requires_a_second_factor_of_cannot_make_one_without(tutor, centre):
    centre.staff_two_factor_required = True
    centre.save()
    with pytest.raises(ValidationError, match="second factor"):
        token_create(user=tutor, name="x", scope="read", days=7, session_verified=False)


def test_at_most_so_many_tokens_in_use(learner):
    for _ in range(MAX_USABLE_TOKENS):
        make_token(learner)
    with pytest.raises(ValidationError, match="revoke one"):
        make_token(learner)
    assert PersonalAccessToken.objects.count() == MAX_USABLE_TOKENS


def test_writes_need_no_csrf_cookie_but_a_token(record, tutor, catalogue, evidence):
    """Scripts send no CSRF cookie; a token (never sent by a browser on its own) stands in."""
    b1 = criteria(catalogue.unit_b)[0]
    client = Client(enforce_csrf_checks=True)
    body = {
        "decided_on": timezone.localdate().isoformat(),
        "decisions": [{"criterion": b1.pk, "outcome": "met", "seen": None}],
    }
    path = f"/api/enrolments/{record.pk}/decisions"
    headers = {"Authorization": f"Bearer {make_token(tutor, TokenScope.WRITE)}"}
    response = client.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 201
    # A signed-in browser session without a token writes nothing.
    client.force_login(tutor)
    assert client.post(path, body, content_type="application/json").status_code == 401


def test_the_trail_still_verifies_after_tokens_are_made_used_and_revoked(learner):
    secret = make_token(learner, TokenScope.WRITE)
    Api(secret).get("/me")
    token_revoke(token=PersonalAccessToken.objects.get(), by=learner)
    report = verify_chain()
    assert report.ok, report.findings
    assert list(
        AuditEntry.objects.filter(object_type="accounts.personalaccesstoken")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [AuditAction.TOKEN_CREATED, AuditAction.TOKEN_REVOKED]
