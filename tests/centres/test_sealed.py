"""A class list only adds, and says exactly what it will change; it never reaches into another
centre's person (issue 10, items 3 and 4)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Invitation, Membership, User
from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from portfolios import services as portfolio_services
from portfolios.models import Enrolment, EnrolmentUnit
from qualifications.models import Unit
from tests.centres.test_intake import _confirm, _csv, _preview, catalogue  # noqa: F401 (a fixture)

MANDATORY = ["A/506/1964", "A/506/2130", "F/506/2131", "J/506/2132", "L/506/1788"]
OPTIONAL = ["H/506/1814", "L/506/1807", "L/506/1869"]


def _row(name, email, tutor_email, units=""):
    return f"{name},{email},,601/3734/4,{units},{tutor_email},2026-09-01,2027-07-31"


def _person_state(user):
    user = User.objects.get(pk=user.pk)
    return (
        user.first_name,
        user.last_name,
        user.email,
        user.password,
        sorted(Membership.objects.filter(user=user).values_list("centre_id", "role", "is_active")),
    )


def _codes(enrolment):
    return sorted(
        EnrolmentUnit.objects.current()
        .filter(enrolment=enrolment)
        .values_list("unit__code", flat=True)
    )


@pytest.fixture
def charlie_tutor_email(outsider):
    """Centre B's admin also tutors at B, under this address."""
    return outsider.email


def test_another_centres_class_list_changes_nothing_here(
    client,
    outsider,
    other_centre,
    centre,
    learner,
    catalogue,  # noqa: F811 (the fixture imported above)
    charlie_tutor_email,
    django_capture_on_commit_callbacks,
    password,
):
    before = _person_state(learner)
    client.force_login(outsider)
    preview = _preview(
        client,
        other_centre,
        _csv(
            _row("Mallory Renamed", learner.email.upper(), charlie_tutor_email),
            _row("Nadia New", "nadia@example.org", charlie_tutor_email),
        ),
    )
    known, unknown = preview.context["result"].rows
    # The same words for an account that exists elsewhere and for a new address.
    assert known.changes == unknown.changes
    assert known.changes[0] == ("new person", "new to the centre: invited as learner")
    action, detail = known.changes[1]
    assert action == "new enrolment"
    assert detail.startswith("new enrolment on 601/3734/4 with 5 units: ")
    assert sorted(detail.split(": ")[1].split(", ")) == MANDATORY
    assert known.kept == unknown.kept == []

    _confirm(client, other_centre, django_capture_on_commit_callbacks)
    assert _person_state(learner) == before
    assert not Enrolment.objects.filter(learner=learner).exists()
    invitation = Invitation.objects.get(person=learner)
    assert (invitation.centre, invitation.roles, len(invitation.enrolments)) == (
        other_centre,
        ["learner"],
        1,
    )
    assert sorted(m.to[0] for m in mail.outbox) == [learner.email, "nadia@example.org"]
    nadia = Enrolment.objects.get(learner__email="nadia@example.org")
    assert _codes(nadia) == MANDATORY
    assert AuditEntry.objects.filter(action=AuditAction.INTAKE, centre=other_centre).count() == 1

    # Alice signs in and accepts: only now is she a learner at B, enrolled as the list said.
    client.logout()
    client.post(reverse("login"), {"username": learner.username, "password": password})
    client.post(reverse("invitation_accept", args=[invitation.pk]))
    enrolment = Enrolment.objects.get(learner=learner)
    assert (enrolment.centre, enrolment.tutor, _codes(enrolment)) == (
        other_centre,
        outsider,
        MANDATORY,
    )
    assert _person_state(learner)[:4] == before[:4]  # name, e-mail and password still hers
    assert verify_chain().ok


def test_preview_words_for_a_known_and_an_unknown_address_are_identical(
    client,
    outsider,
    other_centre,
    learner,
    catalogue,  # noqa: F811
    charlie_tutor_email,
):
    client.force_login(outsider)
    known = _preview(client, other_centre, _csv(_row("X Y", learner.email, charlie_tutor_email)))
    unknown = _preview(
        client, other_centre, _csv(_row("X Y", "nobody@example.org", charlie_tutor_email))
    )

    def body(response, email):
        text = response.content.decode().replace(email, "EMAIL")
        # The stored upload's number and the CSRF token differ from one response to another.
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
        return re.sub(r"/intake/\d+/confirm/", "/intake/N/confirm/", text)

    assert body(known, learner.email) == body(unknown, "nobody@example.org")


def test_reimport_with_empty_units_cell_keeps_every_unit(
    client,
    centre_admin,
    centre,
    tutor,
    catalogue,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client.force_login(centre_admin)
    optional = " ".join(OPTIONAL[:2])
    _preview(
        client,
        centre,
        _csv(
            _row("Dev Patel", "dev@example.org", tutor.email, " ".join(MANDATORY) + " " + optional)
        ),
    )
    _confirm(client, centre, django_capture_on_commit_callbacks)
    enrolment = Enrolment.objects.get()
    assert _codes(enrolment) == sorted(MANDATORY + OPTIONAL[:2])
    entries = AuditEntry.objects.count()

    preview = _preview(client, centre, _csv(_row("Dev Patel", "dev@example.org", tutor.email)))
    (row,) = preview.context["result"].rows
    assert row.changes == [("unchanged", "already enrolled; nothing to add")]
    assert row.kept == [
        "units not in the list stay (the units cell is empty: mandatory units only): "
        "L/506/1807, H/506/1814"
    ]
    assert "units not in the list stay" in preview.text
    _confirm(client, centre, django_capture_on_commit_callbacks)
    assert _codes(enrolment) == sorted(MANDATORY + OPTIONAL[:2])
    # Only the import's own entry was written.
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[entries:]) == [
        AuditAction.INTAKE
    ]


def test_reimport_adds_units_and_leaves_withdrawn_ones_withdrawn(
    client,
    centre_admin,
    centre,
    tutor,
    catalogue,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    client.force_login(centre_admin)
    units = " ".join([*MANDATORY, OPTIONAL[0]])
    _preview(client, centre, _csv(_row("Dev Patel", "dev@example.org", tutor.email, units)))
    _confirm(client, centre, django_capture_on_commit_callbacks)
    enrolment = Enrolment.objects.get()
    portfolio_services.enrolment_unit_withdraw(
        enrolment=enrolment,
        unit=Unit.objects.get(code=OPTIONAL[0]),
        by=centre_admin,
        reason="Changed route.",
    )
    preview = _preview(
        client,
        centre,
        _csv(_row("Dev Patel", "dev@example.org", tutor.email, f"{OPTIONAL[0]} {OPTIONAL[2]}")),
    )
    (row,) = preview.context["result"].rows
    ((action, detail),) = row.changes
    assert action == "units added"
    assert detail.startswith("units added to 601/3734/4 ") and detail.endswith(": L/506/1869")
    assert row.kept[0] == "H/506/1814 stays withdrawn (restore from the enrolment's page)"
    _confirm(client, centre, django_capture_on_commit_callbacks)
    assert _codes(enrolment) == sorted([*MANDATORY, OPTIONAL[2]])
    assert EnrolmentUnit.objects.withdrawn().filter(enrolment=enrolment).count() == 1
    added = AuditEntry.objects.filter(action=AuditAction.UNIT_ADDED).order_by("-seq").first()
    assert added.summary.startswith("L/506/1869 ")
    assert verify_chain().ok


def test_known_person_at_this_centre_is_not_renamed(
    client,
    centre_admin,
    centre,
    tutor,
    learner,
    catalogue,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    before = _person_state(learner)
    client.force_login(centre_admin)
    preview = _preview(client, centre, _csv(_row("Totally Different", learner.email, tutor.email)))
    (row,) = preview.context["result"].rows
    assert row.actions == ["new enrolment"]
    assert row.kept == [f"name stays {learner.get_full_name()} (the list says Totally Different)"]
    _confirm(client, centre, django_capture_on_commit_callbacks)
    assert _person_state(learner) == before
    assert Enrolment.objects.get().learner == learner
    assert not Invitation.objects.exists()


def test_invited_person_has_no_role_until_accepting(
    client,
    outsider,
    other_centre,
    learner,
    catalogue,  # noqa: F811
    charlie_tutor_email,
    django_capture_on_commit_callbacks,
):
    client.force_login(outsider)
    _preview(client, other_centre, _csv(_row("X Y", learner.email, charlie_tutor_email)))
    _confirm(client, other_centre, django_capture_on_commit_callbacks)
    assert not Membership.objects.filter(user=learner, centre=other_centre).exists()
    assert (
        client.get(reverse("person_detail", args=[other_centre.pk, learner.pk])).status_code == 404
    )
    assert Role.LEARNER in Invitation.objects.get().roles
