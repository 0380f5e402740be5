from django.core.management import call_command
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Centre, Membership, User


def test_seed_demo_twice_duplicates_nothing(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Centre.objects.count() == 1
    assert User.objects.count() == 6
    assert sorted(Membership.objects.values_list("role", flat=True)) == sorted(Role.values)
    assert "learner" in out and "portfolio-demo" in out


def test_seed_demo_sign_ins_work(client, db):
    call_command("seed_demo")
    for username in ["learner", "tutor", "iqa", "eqa", "centreadmin", "staff"]:
        response = client.post(
            reverse("login"), {"username": username, "password": "portfolio-demo"}
        )
        assert response.status_code == 302, username
        client.post(reverse("logout"))
