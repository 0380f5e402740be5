import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User


def test_wrong_password_is_refused_with_message(client, learner):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert "_auth_user_id" not in client.session


def test_repeated_wrong_passwords_lock_the_account(client, learner, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": "alice", "password": password})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "_auth_user_id" not in client.session


def test_admin_login_is_throttled_too(client, password, settings, db):
    User.objects.create_user("root", password=password, is_staff=True, is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": "root", "password": "nope"})
    response = client.post(reverse("admin:login"), {"username": "root", "password": password})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_not_per_classroom(client, learner, tutor, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": password})
    assert response.status_code == 302


def test_sign_out_ends_the_session(client, learner):
    client.force_login(learner)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change(client, learner, password):
    client.force_login(learner)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "a-much-longer-phrase-42",
            "new_password2": "a-much-longer-phrase-42",
        },
    )
    assert response.url == reverse("password_change_done")
    learner.refresh_from_db()
    assert learner.check_password("a-much-longer-phrase-42")


def test_password_reset_sends_link_by_email(client, learner):
    response = client.post(reverse("password_reset"), {"email": learner.email})
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    assert "/accounts/reset/" in mail.outbox[0].body


@pytest.mark.parametrize("path", ["/", "/centres/1/"])
def test_pages_need_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
