"""Centre admins manage their centre's people and roles in the product's own pages."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership, User
from tests.factories import MembershipFactory, UserFactory


def _roles(user, centre):
    return set(
        Membership.objects.filter(user=user, centre=centre, is_active=True).values_list(
            "role", flat=True
        )
    )


def test_admin_adds_a_person_who_is_invited(client, centre_admin, centre):
    client.force_login(centre_admin)
    response = client.post(
        reverse("person_add", args=[centre.pk]),
        {
            "first_name": "Dev",
            "last_name": "Patel",
            "email": "Dev.Patel@example.org",
            "roles": [Role.LEARNER],
            "send_invitation": "on",
        },
    )
    person = User.objects.get(email="dev.patel@example.org")
    # The same answer as for an address with an account elsewhere (test_invitations.py).
    assert response.url == reverse("centre_detail", args=[centre.pk])
    assert (person.username, str(person), person.has_usable_password()) == (
        "dev.patel",
        "Dev Patel",
        False,
    )
    assert _roles(person, centre) == {Role.LEARNER}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dev.patel@example.org"]
    assert "Your username is: dev.patel" in mail.outbox[0].body
    assert "/accounts/reset/" in mail.outbox[0].body


def test_adding_the_email_of_someone_here_gives_them_the_roles(client, centre_admin, centre, tutor):
    client.force_login(centre_admin)
    client.post(
        reverse("person_add", args=[centre.pk]),
        {
            "first_name": "B",
            "last_name": "B",
            "email": tutor.email,
            "roles": [Role.INTERNAL_MODERATOR],
        },
    )
    assert User.objects.filter(email=tutor.email).count() == 1
    assert _roles(tutor, centre) == {Role.TUTOR, Role.INTERNAL_MODERATOR}
    assert mail.outbox == []


def test_give_and_take_a_role(client, centre_admin, centre, learner):
    client.force_login(centre_admin)
    url = reverse("person_role_change", args=[centre.pk, learner.pk])
    client.post(url, {"role": Role.TUTOR, "action": "give"})
    assert _roles(learner, centre) == {Role.LEARNER, Role.TUTOR}
    client.post(url, {"role": Role.LEARNER, "action": "take"})
    assert _roles(learner, centre) == {Role.TUTOR}
    # The ended role is kept as a record, inactive.
    assert Membership.objects.get(user=learner, role=Role.LEARNER).is_active is False


def test_admin_cannot_take_own_admin_role(client, centre_admin, centre):
    client.force_login(centre_admin)
    response = client.post(
        reverse("person_role_change", args=[centre.pk, centre_admin.pk]),
        {"role": Role.CENTRE_ADMIN, "action": "take"},
        follow=True,
    )
    assert "You cannot take away your own admin role." in response.text
    assert _roles(centre_admin, centre) == {Role.CENTRE_ADMIN}


def test_deactivate_ends_roles_and_keeps_the_person(client, centre_admin, centre, tutor, password):
    client.force_login(centre_admin)
    client.post(reverse("person_deactivate", args=[centre.pk, tutor.pk]))
    assert _roles(tutor, centre) == set()
    assert User.objects.filter(pk=tutor.pk).exists()
    client.logout()
    client.post(reverse("login"), {"username": "bob", "password": password})
    assert "No role yet" in client.get(reverse("dashboard")).text


@pytest.mark.parametrize("view", ["person_detail", "person_role_change", "person_deactivate"])
def test_other_centres_admin_gets_404(client, outsider, centre, learner, view):
    client.force_login(outsider)
    method = client.get if view == "person_detail" else client.post
    response = method(
        reverse(view, args=[centre.pk, learner.pk]), {"role": "tutor", "action": "give"}
    )
    assert response.status_code == 404
    assert _roles(learner, centre) == {Role.LEARNER}


def test_own_admin_cannot_reach_a_person_of_another_centre(client, centre_admin, centre, outsider):
    client.force_login(centre_admin)
    response = client.get(reverse("person_detail", args=[centre.pk, outsider.pk]))
    assert response.status_code == 404
    assert "charlie" not in response.text


@pytest.mark.parametrize("role_fixture", ["learner", "tutor", "internal_moderator"])
def test_wrong_role_gets_403(client, request, centre, role_fixture, learner):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(reverse("person_add", args=[centre.pk])).status_code == 403
    response = client.post(
        reverse("person_role_change", args=[centre.pk, learner.pk]),
        {"role": Role.CENTRE_ADMIN, "action": "give"},
    )
    assert response.status_code == 403
    assert _roles(learner, centre) == {Role.LEARNER}


def test_people_list_filters_and_pages(client, centre_admin, centre):
    for n in range(60):
        MembershipFactory(
            user=UserFactory(username=f"l{n:02d}", last_name=f"Learner{n:02d}"),
            centre=centre,
            role=Role.LEARNER,
        )
    client.force_login(centre_admin)
    first = client.get(reverse("centre_detail", args=[centre.pk]), {"role": "learner"})
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"].object_list) == 50
    found = client.get(reverse("centre_detail", args=[centre.pk]), {"q": "Learner07"})
    assert [p.username for p in found.context["page"].object_list] == ["l07"]


def test_people_list_queries_do_not_grow(client, centre_admin, centre, django_assert_num_queries):
    client.force_login(centre_admin)
    url = reverse("centre_detail", args=[centre.pk])
    client.get(url)
    with django_assert_num_queries(7) as small:
        client.get(url)
    for n in range(30):
        MembershipFactory(user=UserFactory(username=f"q{n}"), centre=centre, role=Role.LEARNER)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)
