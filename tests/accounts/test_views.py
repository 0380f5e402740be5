import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership
from tests.factories import MembershipFactory, UserFactory

DASHBOARD_TITLES = {
    Role.LEARNER: "My portfolio",
    Role.TUTOR: "Tutor dashboard",
    Role.INTERNAL_MODERATOR: "Internal moderation",
    Role.EXTERNAL_MODERATOR: "External moderation",
    Role.CENTRE_ADMIN: "Centre administration",
}


@pytest.mark.parametrize("role", list(Role))
def test_sign_in_lands_on_own_role_dashboard(client, people, password, role):
    user = people[role]
    response = client.post(
        reverse("login"), {"username": user.username, "password": password}, follow=True
    )
    membership = Membership.objects.get(user=user)
    assert response.redirect_chain[-1][0] == reverse("role_dashboard", args=[membership.pk])
    assert response.context["membership"] == membership
    assert f'data-testid="dashboard-title">{DASHBOARD_TITLES[role]}<' in response.text


def test_dashboard_anonymous_redirects_to_sign_in(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_role_dashboard_of_someone_else_is_404(client, learner, tutor):
    client.force_login(learner)
    tutor_membership = Membership.objects.get(user=tutor)
    response = client.get(reverse("role_dashboard", args=[tutor_membership.pk]))
    assert response.status_code == 404
    assert "Tutor dashboard" not in response.text


def test_learner_cannot_open_centre_admin_page(client, learner, centre):
    client.force_login(learner)
    response = client.get(reverse("centre_detail", args=[centre.pk]))
    assert response.status_code == 403


def test_centre_admin_sees_own_centre_people(client, people, centre, outsider):
    client.force_login(people[Role.CENTRE_ADMIN])
    response = client.get(reverse("centre_detail", args=[centre.pk]))
    assert response.status_code == 200
    names = [person.username for person in response.context["page"].object_list]
    assert sorted(names) == ["alice", "bob", "carol", "eric", "ivy"]
    assert "charlie" not in response.text


def test_admin_of_other_centre_gets_404_for_this_centre(client, outsider, centre, learner):
    client.force_login(outsider)
    response = client.get(reverse("centre_detail", args=[centre.pk]))
    assert response.status_code == 404
    assert "alice" not in response.text
    assert "Alpha College" not in response.text


def test_person_with_two_roles_can_switch(client, centre, password):
    user = UserFactory(username="dana")
    learner_role = MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
    tutor_role = MembershipFactory(user=user, centre=centre, role=Role.TUTOR)
    client.force_login(user)

    first = client.get(reverse("dashboard"))
    assert first.url == reverse("role_dashboard", args=[learner_role.pk])
    page = client.get(first.url)
    assert 'data-testid="role-switcher"' in page.text
    assert reverse("role_dashboard", args=[tutor_role.pk]) in page.text

    client.get(reverse("role_dashboard", args=[tutor_role.pk]))
    assert client.get(reverse("dashboard")).url == reverse("role_dashboard", args=[tutor_role.pk])


def test_inactive_membership_gives_no_dashboard(client, learner):
    Membership.objects.filter(user=learner).update(is_active=False)
    client.force_login(learner)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "No role yet" in response.text


def test_dashboard_query_count_does_not_grow_with_centre_size(client, centre_admin, centre):
    client.force_login(centre_admin)
    membership = Membership.objects.get(user=centre_admin)
    url = reverse("role_dashboard", args=[membership.pk])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    assert len(small) <= 13
    for _ in range(30):
        MembershipFactory(centre=centre, role=Role.LEARNER)
    # The same centre, changed: its summary is counted again (not read from the cache).
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) <= 13
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert len(again) == len(small)


def test_healthz_reports_database_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_pages_send_strict_content_security_policy(client, db):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.text
    assert " style=" not in response.text
