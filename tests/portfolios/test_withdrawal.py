"""A unit holding work is never dropped quietly: it is withdrawn with a reason, audited,
shown in the record's history, and can be restored (issue 10, item 3)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from portfolios import services
from portfolios.models import EnrolmentUnit
from qualifications.models import QualificationUnit, UnitGroup
from tests.portfolios.conftest import criteria_of
from tests.portfolios.helpers import make_unit


def _edit_post(enrolment, units, **changes):
    return {
        "tutor": enrolment.tutor_id,
        "registration_number": enrolment.registration_number,
        "start_date": enrolment.start_date.isoformat(),
        "planned_end_date": enrolment.planned_end_date.isoformat(),
        "status": enrolment.status,
        "units": [u.pk for u in units],
        **changes,
    }


def _unit_rows(enrolment):
    return list(
        EnrolmentUnit.objects.filter(enrolment=enrolment)
        .order_by("unit__code")
        .values_list("unit__code", "withdrawn_at", "withdrawal_reason")
    )


def _actions(enrolment):
    return list(
        AuditEntry.objects.for_enrolment(enrolment.pk)
        .order_by("seq")
        .values_list("action", "summary")
    )


@pytest.fixture
def second_optional(catalogue):
    """A second optional unit, so the optional group's one unit can be swapped."""
    unit = make_unit("B/100/0004", "Process information", outcomes=1, criteria=1)
    QualificationUnit.objects.create(
        qualification=catalogue.qualification,
        unit=unit,
        group=UnitGroup.objects.get(qualification=catalogue.qualification, is_mandatory=False),
        position=9,
    )
    return unit


# ---------------------------------------------------------------- creating and editing


def test_enrolment_create_writes_its_entries(enrolment, centre_admin, learner):
    assert _actions(enrolment) == [
        (
            AuditAction.ENROLMENT_CREATED,
            f"{learner} enrolled on 600/0001/1 Level 2 Diploma in Testing",
        ),
        (AuditAction.UNIT_ADDED, "A/100/0001 Deliver customer service added"),
        (AuditAction.UNIT_ADDED, "A/100/0002 Communicate with customers added"),
        (AuditAction.UNIT_ADDED, "B/100/0003 Manage diary systems added"),
    ]
    assert set(AuditEntry.objects.for_enrolment(enrolment.pk).values_list("actor", flat=True)) == {
        centre_admin.pk
    }
    assert verify_chain().ok


def test_unticking_a_unit_with_work_is_refused_with_a_clear_message(
    client, enrolment, evidence, catalogue, centre_admin
):
    before = _unit_rows(enrolment)
    entries = AuditEntry.objects.count()
    client.force_login(centre_admin)
    keep = [catalogue.mandatory[1], *catalogue.optional]  # A/100/0001 holds a mapped draft
    response = client.post(
        reverse("enrolment_update", args=[enrolment.pk]), _edit_post(enrolment, keep)
    )
    assert response.status_code == 400
    assert (
        "A/100/0001 Deliver customer service holds evidence or decisions, so it cannot be "
        "unticked; withdraw it with a reason from the enrolment&#x27;s page instead."
    ) in response.content.decode()
    assert "A/100/0002 Communicate with customers holds" not in response.content.decode()
    assert _unit_rows(enrolment) == before
    assert AuditEntry.objects.count() == entries


def test_service_refuses_to_drop_a_unit_holding_work(enrolment, evidence, catalogue, centre_admin):
    with pytest.raises(ValidationError) as caught:
        services.enrolment_update(
            enrolment=enrolment,
            tutor=enrolment.tutor,
            units=catalogue.optional,
            registration_number="",
            start_date=enrolment.start_date,
            planned_end_date=enrolment.planned_end_date,
            status=enrolment.status,
            by=centre_admin,
        )
    assert [m for m in caught.value.messages if "holds evidence" in m] == [
        "A/100/0001 Deliver customer service holds evidence or decisions, so it cannot be "
        "unticked; withdraw it with a reason from the enrolment's page instead.",
        "A/100/0002 Communicate with customers holds evidence or decisions, so it cannot be "
        "unticked; withdraw it with a reason from the enrolment's page instead.",
    ]
    assert [code for code, *_ in _unit_rows(enrolment)] == [
        "A/100/0001",
        "A/100/0002",
        "B/100/0003",
    ]


def test_an_empty_unit_may_be_swapped_in_the_edit_form_with_entries(
    client, enrolment, evidence, catalogue, centre_admin, second_optional
):
    client.force_login(centre_admin)
    units = [*catalogue.mandatory, second_optional]
    response = client.post(
        reverse("enrolment_update", args=[enrolment.pk]),
        _edit_post(enrolment, units, registration_number="REG777"),
    )
    assert response.status_code == 302
    assert [code for code, *_ in _unit_rows(enrolment)] == [
        "A/100/0001",
        "A/100/0002",
        "B/100/0004",
    ]
    assert _actions(enrolment)[-3:] == [
        (AuditAction.ENROLMENT_CHANGED, "Enrolment changed: registration number"),
        (AuditAction.UNIT_REMOVED, "B/100/0003 Manage diary systems taken off (it held no work)"),
        (AuditAction.UNIT_ADDED, "B/100/0004 Process information added"),
    ]
    assert verify_chain().ok


# ---------------------------------------------------------------- withdraw and restore


def test_withdraw_and_restore_are_audited_and_shown(
    client, enrolment, evidence, catalogue, centre_admin, learner
):
    unit = catalogue.mandatory[0]
    client.force_login(centre_admin)
    url = reverse("enrolment_unit_withdraw", args=[enrolment.pk, unit.pk])
    page = client.get(url)
    assert "Its evidence and decisions stay in the record" in page.content.decode()
    response = client.post(url, {"reason": "Learner moved to the unit-only route."})
    assert response.status_code == 302 and response.url == enrolment.get_absolute_url()

    row = EnrolmentUnit.objects.get(enrolment=enrolment, unit=unit)
    assert row.withdrawn_by == centre_admin
    assert row.withdrawal_reason == "Learner moved to the unit-only route."
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.summary, entry.object_id, entry.enrolment_id) == (
        AuditAction.UNIT_WITHDRAWN,
        "A/100/0001 Deliver customer service withdrawn: Learner moved to the unit-only route.",
        row.pk,
        enrolment.pk,
    )
    assert entry.data == {
        "unit": "A/100/0001",
        "reason": "Learner moved to the unit-only route.",
        "held_work": True,
    }
    # The evidence and its mapping stay.
    assert evidence.links.filter(criterion__unit=unit).count() == 1

    client.force_login(learner)
    html = client.get(enrolment.get_absolute_url()).content.decode()
    assert f'data-testid="unit-{unit.pk}"' not in html
    assert f'data-testid="withdrawn-{unit.pk}"' in html
    assert "“Learner moved to the unit-only route.”" in html
    assert (
        "A/100/0001 Deliver customer service withdrawn: Learner moved to the unit-only route."
        in html
    )
    assert f'data-testid="restore-{unit.pk}"' not in html  # the learner cannot restore

    client.force_login(centre_admin)
    restore = reverse("enrolment_unit_restore", args=[enrolment.pk, unit.pk])
    assert f'href="{restore}"' in client.get(enrolment.get_absolute_url()).content.decode()
    response = client.post(restore, {"reason": "Back on the full diploma."})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason) == (None, None, "")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.summary) == (
        AuditAction.UNIT_RESTORED,
        "A/100/0001 Deliver customer service restored: Back on the full diploma.",
    )
    assert entry.data["was"]["withdrawal_reason"] == "Learner moved to the unit-only route."
    html = client.get(enrolment.get_absolute_url()).content.decode()
    assert f'data-testid="unit-{unit.pk}"' in html
    assert 'data-testid="withdrawn-units"' not in html
    assert "restored: Back on the full diploma." in html
    assert verify_chain().ok


def test_withdraw_needs_a_reason(client, enrolment, catalogue, centre_admin):
    client.force_login(centre_admin)
    unit = catalogue.mandatory[0]
    response = client.post(
        reverse("enrolment_unit_withdraw", args=[enrolment.pk, unit.pk]), {"reason": "  "}
    )
    assert response.status_code == 400
    assert EnrolmentUnit.objects.get(enrolment=enrolment, unit=unit).withdrawn_at is None
    with pytest.raises(ValidationError) as caught:
        services.enrolment_unit_withdraw(enrolment=enrolment, unit=unit, by=centre_admin, reason="")
    assert caught.value.message_dict == {"reason": ["Say why the unit is withdrawn."]}


def test_withdrawn_unit_takes_no_new_evidence_and_cannot_be_reticked(
    enrolment, catalogue, centre_admin, learner, method
):
    unit = catalogue.optional[0]
    services.enrolment_unit_withdraw(enrolment=enrolment, unit=unit, by=centre_admin, reason="R")
    with pytest.raises(ValidationError) as caught:
        services.evidence_create(
            enrolment=enrolment,
            by=learner,
            title="Diary",
            method=method,
            date=datetime.date(2026, 2, 1),
            text="My diary.",
            criteria=[criteria_of(unit)[0]],
        )
    assert caught.value.messages == [
        "Some of the criteria are not in this enrolment's current units."
    ]
    with pytest.raises(ValidationError) as caught:
        services.enrolment_update(
            enrolment=enrolment,
            tutor=enrolment.tutor,
            units=[*catalogue.mandatory, unit],
            registration_number="",
            start_date=enrolment.start_date,
            planned_end_date=enrolment.planned_end_date,
            status=enrolment.status,
            by=centre_admin,
        )
    assert caught.value.messages == [
        "B/100/0003 Manage diary systems is withdrawn; restore it from the enrolment's page, "
        "with a reason, to take it again."
    ]
    # Editing other details keeps working while a required unit is withdrawn.
    services.enrolment_update(
        enrolment=enrolment,
        tutor=enrolment.tutor,
        units=catalogue.mandatory,
        registration_number="NEW1",
        start_date=enrolment.start_date,
        planned_end_date=enrolment.planned_end_date,
        status=enrolment.status,
        by=centre_admin,
    )
    assert EnrolmentUnit.objects.get(enrolment=enrolment, unit=unit).withdrawn_at is not None


@pytest.mark.parametrize("name", ["enrolment_unit_withdraw", "enrolment_unit_restore"])
def test_withdraw_pages_access(
    client, name, enrolment, catalogue, tutor, learner, outsider, other_enrolment
):
    unit = catalogue.mandatory[0]
    url = reverse(name, args=[enrolment.pk, unit.pk])
    assert client.get(url).status_code == 302  # anonymous: sign in
    for person, status in ((learner, 403), (tutor, 403), (outsider, 404)):
        client.force_login(person)
        assert client.post(url, {"reason": "forged"}).status_code == status
    client.force_login(outsider)
    # Centre B's admin, on centre B's own enrolment, with centre A's unit id: still only B.
    assert client.get(reverse(name, args=[other_enrolment.pk, 999_999])).status_code == 404
    assert not EnrolmentUnit.objects.filter(enrolment=enrolment).withdrawn().exists()
    assert not AuditEntry.objects.filter(
        action__in=[AuditAction.UNIT_WITHDRAWN, AuditAction.UNIT_RESTORED]
    ).exists()
