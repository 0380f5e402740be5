"""Centres are sealed (issue 10, item 4): another centre's admin cannot change a person of
this centre, nor learn whether an e-mail address has an account. An account from elsewhere is
invited, and nothing on it changes until its owner signs in and accepts."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Invitation, Membership, User
from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry


def _person_state(user):
    """Everything of a person that another centre must not change."""
    user = User.objects.get(pk=user.pk)
    return {
        "name": (user.first_name, user.last_name),
        "email": user.email,
        "password": user.password,
        "username": user.username,
        "memberships": sorted(
            Membership.objects.filter(user=user).values_list("centre_id", "role", "is_active")
        ),
    }


def _add(client, centre, email, roles=(Role.LEARNER,), **extra):
    return client.post(
        reverse("person_add", args=[centre.pk]),
        {
            "first_name": "Mallory",
            "last_name": "Renamed",
            "email": email,
            "roles": list(roles),
            "send_invitation": "on",
            **extra,
        },
    )


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_another_centres_admin_cannot_take_over_a_person_by_email(
    client, outsider, other_centre, centre, learner
):
    before = _person_state(learner)
    client.force_login(outsider)  # admin of centre B
    response = _add(
        client, other_centre, learner.email.upper(), roles=(Role.CENTRE_ADMIN, Role.LEARNER)
    )
    assert response.status_code == 302
    assert _person_state(learner) == before
    invitation = Invitation.objects.get()
    assert (invitation.centre, invitation.person, invitation.roles, invitation.accepted_at) == (
        other_centre,
        learner,
        ["admin", "learner"],
        None,
    )
    entry = AuditEntry.objects.get(action=AuditAction.PERSON_INVITED)
    assert (entry.actor, entry.centre, entry.summary) == (
        outsider,
        other_centre,
        f"{learner.email} invited as centre admin, learner",
    )
    # The owner is told, and asked to sign in and accept; no password link is sent.
    (notice,) = mail.outbox
    assert notice.to == [learner.email]
    assert notice.subject == "Beta Training invites you to its e-portfolio"
    assert "Nothing changes on your account until you accept." in notice.body
    assert "/centres/invitations/" in notice.body
    assert "/accounts/reset/" not in notice.body
    # Centre B cannot open the person: they are not B's until they accept.
    person_page = reverse("person_detail", args=[other_centre.pk, learner.pk])
    assert client.get(person_page).status_code == 404


def test_known_and_unknown_addresses_get_the_same_answer(
    client, outsider, other_centre, learner, settings
):
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    other_client = Client()
    for c in (client, other_client):
        c.force_login(outsider)
    known = _add(client, other_centre, learner.email)
    unknown = _add(other_client, other_centre, "nobody-yet@example.org")

    def normalised(response, email):
        # Expires is "now": two requests a second apart differ there, whoever is asked for.
        varying = {"set-cookie", "expires"}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in varying}
        return (
            response.status_code,
            headers,
            response.content,
            [m.replace(email.lower(), "EMAIL") for m in _messages(response)],
        )

    assert normalised(known, learner.email) == normalised(unknown, "nobody-yet@example.org")
    assert _messages(known) == [
        f"{learner.email} is invited to Beta Training. A new address gets an account here and "
        "a link to choose a password; an address that already has an account takes its roles "
        "here once its owner signs in and accepts."
    ]
    assert known.url == reverse("centre_detail", args=[other_centre.pk])
    # The unknown address did get its account, with the role, as before.
    new = User.objects.get(email="nobody-yet@example.org")
    assert set(Membership.objects.filter(user=new).values_list("centre", "role")) == {
        (other_centre.pk, Role.LEARNER)
    }


def test_other_centres_admin_cannot_add_at_this_centre(client, outsider, centre, learner):
    before = _person_state(learner)
    client.force_login(outsider)
    assert _add(client, centre, learner.email).status_code == 404
    assert _add(client, centre, "fresh@example.org").status_code == 404
    assert _person_state(learner) == before
    assert not User.objects.filter(email="fresh@example.org").exists()
    assert not Invitation.objects.exists()


def test_invited_person_accepts_after_signing_in(
    client, outsider, other_centre, learner, centre, password
):
    client.force_login(outsider)
    _add(client, other_centre, learner.email, roles=(Role.TUTOR,))
    invitation = Invitation.objects.get()
    client.logout()

    client.post(reverse("login"), {"username": learner.username, "password": password})
    page = client.get(reverse("invitation_list"))
    assert f'data-testid="invitation-{invitation.pk}"' in page.text
    assert "Beta Training</span> invites you as tutor" in page.text
    before = _person_state(learner)

    response = client.post(reverse("invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302
    assert _messages(response) == ["You are now tutor at Beta Training."]
    after = _person_state(learner)
    assert after["memberships"] == sorted(
        [*before["memberships"], (other_centre.pk, Role.TUTOR, True)]
    )
    assert {k: after[k] for k in ("name", "email", "password")} == {
        k: before[k] for k in ("name", "email", "password")
    }
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert list(
        AuditEntry.objects.filter(centre=other_centre)
        .order_by("seq")
        .values_list("action", "actor_id")
    )[-2:] == [
        (AuditAction.INVITATION_ACCEPTED, learner.pk),
        (AuditAction.ROLE_GIVEN, learner.pk),
    ]
    assert "You have no open invitations." in client.get(reverse("invitation_list")).text
    again = client.post(reverse("invitation_accept", args=[invitation.pk]), follow=True)
    assert "You accepted the invitation to Beta Training already." in again.text


def test_nobody_else_can_accept_an_invitation(client, outsider, other_centre, learner, tutor):
    client.force_login(outsider)
    _add(client, other_centre, learner.email, roles=(Role.CENTRE_ADMIN,))
    invitation = Invitation.objects.get()
    for person in (tutor, outsider):
        client.force_login(person)
        assert client.post(reverse("invitation_accept", args=[invitation.pk])).status_code == 404
        assert f"invitation-{invitation.pk}" not in client.get(reverse("invitation_list")).text
    client.logout()
    response = client.post(reverse("invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302 and reverse("login") in response.url
    assert not Membership.objects.filter(user=learner, centre=other_centre).exists()
    assert Invitation.objects.get().accepted_at is None


def test_expired_invitation_cannot_be_accepted(client, outsider, other_centre, learner):
    client.force_login(outsider)
    _add(client, other_centre, learner.email)
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(learner)
    invitation = Invitation.objects.get()
    assert f"invitation-{invitation.pk}" not in client.get(reverse("invitation_list")).text
    response = client.post(reverse("invitation_accept", args=[invitation.pk]), follow=True)
    assert (
        "The invitation to Beta Training has expired; ask the centre to invite you again."
        in response.text
    )
    assert not Membership.objects.filter(user=learner, centre=other_centre).exists()


def test_inviting_again_adds_roles_to_the_one_open_invitation(
    client, outsider, other_centre, learner
):
    client.force_login(outsider)
    _add(client, other_centre, learner.email, roles=(Role.LEARNER,))
    _add(client, other_centre, learner.email, roles=(Role.TUTOR,))
    assert list(Invitation.objects.values_list("roles", flat=True)) == [["learner", "tutor"]]


# ---------------------------------------------------------------- roles are audited


def test_roles_given_taken_and_deactivation_are_audited(client, centre_admin, centre, learner):
    client.force_login(centre_admin)
    url = reverse("person_role_change", args=[centre.pk, learner.pk])
    client.post(url, {"role": Role.TUTOR, "action": "give"})
    client.post(url, {"role": Role.TUTOR, "action": "take"})
    client.post(reverse("person_deactivate", args=[centre.pk, learner.pk]))
    name = str(learner)
    assert list(
        AuditEntry.objects.filter(actor=centre_admin)
        .order_by("seq")
        .values_list("action", "summary", "actor_id")
    ) == [
        (AuditAction.ROLE_GIVEN, f"{name} is tutor at Alpha College", centre_admin.pk),
        (AuditAction.ROLE_TAKEN, f"{name} is no longer tutor at Alpha College", centre_admin.pk),
        (
            AuditAction.PERSON_DEACTIVATED,
            f"{name} deactivated at Alpha College: no longer learner",
            centre_admin.pk,
        ),
    ]
    tutor_role = Membership.objects.get(user=learner, role=Role.TUTOR)
    assert set(
        AuditEntry.objects.filter(actor=centre_admin).values_list("object_id", flat=True)
    ) == {
        tutor_role.pk,
        Membership.objects.get(user=learner, role=Role.LEARNER).pk,
    }
    assert verify_chain().ok


@pytest.mark.parametrize("view", ["person_role_change", "person_deactivate"])
def test_forged_posts_from_another_centre_change_nothing(
    client, outsider, other_centre, centre, learner, view
):
    before, entries = _person_state(learner), AuditEntry.objects.count()
    client.force_login(outsider)
    for centre_pk in (centre.pk, other_centre.pk):
        response = client.post(
            reverse(view, args=[centre_pk, learner.pk]), {"role": "admin", "action": "give"}
        )
        assert response.status_code == 404
    assert _person_state(learner) == before
    assert AuditEntry.objects.count() == entries


def test_site_staff_give_a_first_admin_through_the_audited_service(client, centre, db):
    staff = User.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    person = User.objects.create(username="first-admin", email="fa@example.org")
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": person.pk, "centre": centre.pk, "role": Role.CENTRE_ADMIN, "is_active": "on"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    entry = AuditEntry.objects.get(object_id=membership.pk, action=AuditAction.ROLE_GIVEN)
    assert (entry.actor, entry.centre) == (staff, centre)
    assert verify_chain().ok
