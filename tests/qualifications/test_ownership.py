"""Who sees and changes which part of the catalogue: a centre's own units and qualifications
are its alone until staff publish them; the shared catalogue is changed by staff and the
catalogue editors they name; every grant, revoke and publish is audited."""

import datetime
import inspect

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from accounts.models import User
from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from centres.services import intake_preview
from moderation import services as moderation_services
from portfolios import services as portfolio_services
from portfolios.models import Enrolment
from qualifications import ownership
from qualifications.models import (
    AwardingBody,
    Qualification,
    QualificationUnit,
    Unit,
    UnitGroup,
)
from qualifications.permissions import EDITOR_GROUP, may_change
from qualifications.services import spec_import
from qualifications.versions import copy_unit
from tests.factories import MembershipFactory, UserFactory
from tests.portfolios.helpers import make_unit

# Words only centre A's own catalogue holds: no page at centre B may show them.
OWN_UNIT_TITLE = "Zanzibar in-house safeguarding"
OWN_QUALIFICATION_TITLE = "Alpha Certificate in Quokka Care"
OWN_NUMBER = "ALP/0001/1"
OWN_BADGE = "Your centre's own</span>"


def _own(obj, centre):
    type(obj).objects.filter(pk=obj.pk).update(centre=centre)
    obj.refresh_from_db()
    return obj


@pytest.fixture
def staff(db):
    return UserFactory(username="stella", first_name="Stella", last_name="Staff", is_staff=True)


@pytest.fixture
def shared(db):
    """A shared qualification with one mandatory shared unit."""
    body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
    qualification = Qualification.objects.create(
        number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    unit = make_unit("A/100/0001", "Deliver customer service", outcomes=1, criteria=2)
    QualificationUnit.objects.create(qualification=qualification, unit=unit, group=group)
    return qualification, unit


@pytest.fixture
def own(shared, centre):
    """Centre A's own qualification: its own unit and the shared one, mandatory both; and a
    standalone own unit."""
    shared_qualification, shared_unit = shared
    qualification = _own(
        Qualification.objects.create(
            number=OWN_NUMBER,
            title=OWN_QUALIFICATION_TITLE,
            awarding_body=shared_qualification.awarding_body,
        ),
        centre,
    )
    group = UnitGroup.objects.create(
        qualification=qualification, name="Mandatory units", is_mandatory=True
    )
    unit = _own(make_unit("Z/900/0001", OWN_UNIT_TITLE, outcomes=1, criteria=2), centre)
    for position, member in enumerate([unit, shared_unit]):
        QualificationUnit.objects.create(
            qualification=qualification, unit=member, group=group, position=position
        )
    standalone = _own(make_unit("", "Alpha short course in kayaking", outcomes=1), centre)
    return qualification, unit, standalone


def _shows(response, text):
    return text in response.content.decode()


# ---------------------------------------------------------------- seeing


def test_catalogue_shows_own_to_its_centre_with_a_badge(client, centre_admin, own):
    client.force_login(centre_admin)
    page = client.get(reverse("catalogue"))
    assert page.status_code == 200
    assert _shows(page, OWN_QUALIFICATION_TITLE)
    assert _shows(page, "Alpha short course in kayaking")
    assert page.content.decode().count(OWN_BADGE) == 2
    assert _shows(page, "Shared catalogue")


def test_catalogue_hides_another_centres_own(client, outsider, own):
    client.force_login(outsider)
    page = client.get(reverse("catalogue"))
    assert page.status_code == 200
    assert _shows(page, "Level 2 Diploma in Testing")
    assert not _shows(page, OWN_QUALIFICATION_TITLE)
    assert not _shows(page, "kayaking")
    assert not _shows(page, OWN_BADGE)


@pytest.mark.parametrize(
    "owner, shown, hidden",
    [
        ("own", [OWN_QUALIFICATION_TITLE, "kayaking"], ["Level 2 Diploma in Testing"]),
        ("shared", ["Level 2 Diploma in Testing"], [OWN_QUALIFICATION_TITLE, "kayaking"]),
        ("", [OWN_QUALIFICATION_TITLE, "Level 2 Diploma in Testing"], []),
    ],
)
def test_catalogue_filters_by_owner(client, centre_admin, own, owner, shown, hidden):
    client.force_login(centre_admin)
    page = client.get(reverse("catalogue"), {"owner": owner})
    assert [_shows(page, text) for text in shown] == [True] * len(shown)
    assert [_shows(page, text) for text in hidden] == [False] * len(hidden)


def test_search_finds_own_unit_only_at_its_centre(client, centre_admin, outsider, own):
    client.force_login(centre_admin)
    found = client.get(reverse("catalogue"), {"q": "Zanzibar"})
    assert [u.title for u in found.context["results"]] == [OWN_UNIT_TITLE]
    client.force_login(outsider)
    for query in ("Zanzibar", "Z/900/0001", "kayaking"):
        response = client.get(reverse("catalogue"), {"q": query})
        assert list(response.context["results"]) == []
        assert not _shows(response, OWN_UNIT_TITLE)


@pytest.mark.parametrize("extra", [1, 30])
def test_catalogue_queries_do_not_grow_with_own_rows(
    client, centre_admin, centre, own, extra, django_assert_num_queries
):
    for n in range(extra):
        _own(make_unit("", f"In-house topic {n}", outcomes=1, criteria=1), centre)
    client.force_login(centre_admin)
    client.get(reverse("catalogue"))  # the session and the person are read once
    with django_assert_num_queries(7):
        page = client.get(reverse("catalogue"))
    assert page.content.decode().count(OWN_BADGE) == 2 + extra


def test_staff_see_every_centres_own_named_by_centre(client, staff, own, centre):
    client.force_login(staff)
    page = client.get(reverse("catalogue"))
    assert _shows(page, OWN_QUALIFICATION_TITLE)
    assert _shows(page, f"{centre.name}'s own</span>")


def _own_urls(own):
    qualification, unit, _ = own
    return [
        reverse("qualification_detail", args=[qualification.pk]),
        reverse("unit_detail", args=[unit.slug]),
        reverse("checklist_blank_unit", args=[unit.slug, "record"]),
        reverse("checklist_blank_qualification", args=[qualification.pk, "record"]),
    ]


def test_another_centres_own_pages_are_404(client, outsider, own):
    client.force_login(outsider)
    assert [client.get(url).status_code for url in _own_urls(own)] == [404] * 4


def test_own_pages_open_to_their_centre(client, learner, own):
    client.force_login(learner)
    qualification_url, unit_url = _own_urls(own)[:2]
    page = client.get(qualification_url)
    assert page.status_code == 200
    assert _shows(page, OWN_UNIT_TITLE)
    assert _shows(page, OWN_BADGE)
    assert client.get(unit_url).status_code == 200


def test_shared_unit_page_does_not_name_another_centres_qualification(
    client, outsider, centre_admin, shared, own
):
    _, shared_unit = shared
    url = reverse("unit_detail", args=[shared_unit.slug])
    client.force_login(outsider)
    page = client.get(url)
    assert page.status_code == 200
    assert not _shows(page, OWN_NUMBER)
    assert not _shows(page, OWN_QUALIFICATION_TITLE)
    client.force_login(centre_admin)
    assert _shows(client.get(url), OWN_NUMBER)


# ---------------------------------------------------------------- choosing and enrolling


def test_enrolment_form_offers_only_shared_and_own(
    client, centre_admin, outsider, centre, other_centre, own, shared
):
    client.force_login(centre_admin)
    page = client.get(reverse("enrolment_create", args=[centre.pk]))
    offered = set(page.context["form"].fields["qualification"].queryset)
    assert offered == {own[0], shared[0]}
    assert set(page.context["form"].fields["unit"].queryset) == {own[1], own[2], shared[1]}

    client.force_login(outsider)
    page = client.get(reverse("enrolment_create", args=[other_centre.pk]))
    assert list(page.context["form"].fields["qualification"].queryset) == [shared[0]]
    assert list(page.context["form"].fields["unit"].queryset) == [shared[1]]
    assert not _shows(page, OWN_QUALIFICATION_TITLE)
    assert not _shows(page, "kayaking")


def test_forged_enrolment_on_another_centres_own_is_refused(client, outsider, other_centre, own):
    learner = UserFactory(username="quentin")
    MembershipFactory(user=learner, centre=other_centre, role=Role.LEARNER)
    client.force_login(outsider)
    url = reverse("enrolment_create", args=[other_centre.pk])
    data = {
        "learner": learner.pk,
        "tutor": outsider.pk,
        "start_date": "2026-01-05",
        "planned_end_date": "2026-12-18",
        "units": [own[1].pk],
    }
    for query in (f"?qualification={own[0].pk}", f"?unit={own[2].pk}"):
        response = client.post(url + query, data)
        assert response.status_code == 200  # back to choosing the programme
        assert not response.context["form"].is_valid()
    assert not Enrolment.objects.exists()


def test_enrolment_service_refuses_another_centres_own(outsider, other_centre, own):
    learner = UserFactory(username="quentin")
    MembershipFactory(user=learner, centre=other_centre, role=Role.LEARNER)
    qualification, _, standalone = own
    dates = {
        "start_date": datetime.date(2026, 1, 5),
        "planned_end_date": datetime.date(2026, 12, 18),
    }
    with pytest.raises(ValidationError) as refused:
        portfolio_services.enrolment_create(
            centre=other_centre,
            learner=learner,
            tutor=outsider,
            qualification=None,
            units=[standalone],
            by=outsider,
            **dates,
        )
    assert refused.value.messages == [
        "Unit Alpha short course in kayaking is not in Beta Training's catalogue."
    ]
    with pytest.raises(ValidationError) as refused:
        portfolio_services.enrolment_create(
            centre=other_centre,
            learner=learner,
            tutor=outsider,
            qualification=qualification,
            units=list(qualification.units.all()),
            by=outsider,
            **dates,
        )
    assert refused.value.messages[:2] == [
        f"Qualification {OWN_NUMBER} is not in Beta Training's catalogue.",
        f"Unit Z/900/0001 {OWN_UNIT_TITLE} is not in Beta Training's catalogue.",
    ]
    assert not Enrolment.objects.exists()


def test_enrolment_on_own_qualification_at_its_centre(centre, centre_admin, learner, tutor, own):
    qualification = own[0]
    enrolment = portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=qualification,
        units=list(qualification.units.all()),
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=centre_admin,
    )
    assert enrolment.qualification == qualification


def test_class_list_cannot_name_another_centres_own(outsider, other_centre, own):
    content = (
        "name,email,qualification_number,units,tutor_email,start_date,planned_end_date\n"
        f"Zed Person,zed@example.org,{OWN_NUMBER},,charlie@example.org,2026-09-01,2027-07-31\n"
        "Yan Person,yan@example.org,,Z/900/0001,charlie@example.org,2026-09-01,2027-07-31\n"
    ).encode()
    _, result = intake_preview(
        centre=other_centre, file_name="class.csv", content=content, by=outsider
    )
    assert [row.errors for row in result.rows] == [
        [("qualification_number", f"No qualification {OWN_NUMBER} in the catalogue.")],
        [("units", "No unit Z/900/0001 in the catalogue.")],
    ]


def test_sampling_plan_and_grant_refuse_another_centres_own(outsider, other_centre, own):
    tutor = UserFactory(username="terry")
    MembershipFactory(user=tutor, centre=other_centre, role=Role.TUTOR)
    with pytest.raises(ValidationError) as refused:
        moderation_services.plan_save(
            centre=other_centre,
            by=outsider,
            tutor=tutor,
            qualification=own[0],
            learner_rate=50,
            unit_rate=50,
            include_interim=True,
            include_summative=True,
        )
    assert refused.value.message_dict == {
        "qualification": [f"{OWN_NUMBER} is not in Beta Training's catalogue."]
    }
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        moderation_services.grant_create(
            centre=other_centre,
            by=outsider,
            moderator=outsider,
            starts_at=now,
            ends_at=now + datetime.timedelta(days=3),
            units=[own[1]],
        )
    assert refused.value.message_dict == {"units": ["Choose units in Beta Training's catalogue."]}


# ---------------------------------------------------------------- the catalogue editor role


def test_editors_page_is_for_staff_only(client, centre_admin, learner, staff):
    url = reverse("catalogue_editors")
    assert client.get(url).status_code == 302
    for person in (centre_admin, learner):
        client.force_login(person)
        assert client.get(url).status_code == 403
        response = client.post(url, {"grant": "1", "person": person.username})
        assert response.status_code == 403
    assert not Group.objects.get(name=EDITOR_GROUP).user_set.exists()
    assert not AuditEntry.objects.filter(data__role="catalogue_editor").exists()
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_staff_grant_and_revoke_the_editor_role_audited(client, staff, centre_admin, shared):
    _, shared_unit = shared
    assert not may_change(centre_admin, shared_unit)
    client.force_login(staff)
    url = reverse("catalogue_editors")
    response = client.post(url, {"grant": "1", "person": centre_admin.email})
    assert response.status_code == 302
    assert may_change(User.objects.get(pk=centre_admin.pk), shared_unit)
    assert list(client.get(url).context["editors"]) == [centre_admin]
    granted = AuditEntry.objects.get(action=AuditAction.ROLE_GIVEN, data__role="catalogue_editor")
    assert (granted.actor, granted.object_id, granted.object_type) == (
        staff,
        centre_admin.pk,
        "accounts.user",
    )

    response = client.post(url, {"revoke": "1", "person": centre_admin.pk})
    assert response.status_code == 302
    assert not may_change(User.objects.get(pk=centre_admin.pk), shared_unit)
    taken = AuditEntry.objects.get(action=AuditAction.ROLE_TAKEN, data__role="catalogue_editor")
    assert (taken.actor, taken.object_id) == (staff, centre_admin.pk)


def test_grant_names_what_is_wrong_and_changes_nothing(client, staff, centre_admin):
    client.force_login(staff)
    url = reverse("catalogue_editors")
    unknown = client.post(url, {"grant": "1", "person": "nobody@example.org"})
    assert unknown.status_code == 400
    assert unknown.context["form"].errors == {
        "person": ["No active account has the username or e-mail 'nobody@example.org'."]
    }
    ownership.catalogue_editor_grant(person=centre_admin, by=staff)
    again = client.post(url, {"grant": "1", "person": centre_admin.username})
    assert again.context["form"].non_field_errors() == [
        f"{centre_admin} is a catalogue editor already."
    ]
    assert AuditEntry.objects.filter(data__role="catalogue_editor").count() == 1


def test_only_staff_grant_through_the_service(centre_admin, learner):
    with pytest.raises(ValidationError):
        ownership.catalogue_editor_grant(person=learner, by=centre_admin)
    assert not learner.groups.exists()


def test_editor_changes_shared_but_not_another_centres_own(staff, outsider, own):
    ownership.catalogue_editor_grant(person=outsider, by=staff)
    outsider = User.objects.get(pk=outsider.pk)
    shared_unit = own[0].units.get(centre__isnull=True)
    assert may_change(outsider, shared_unit)
    assert not may_change(outsider, own[1])


# ---------------------------------------------------------------- publishing


def test_staff_publish_own_unit_audited(client, staff, outsider, own, centre):
    standalone = own[2]
    client.force_login(staff)
    page = client.get(reverse("unit_detail", args=[standalone.slug]))
    assert _shows(page, "Publish this unit to the shared catalogue")
    response = client.post(reverse("unit_publish", args=[standalone.slug]))
    assert response.status_code == 302
    standalone.refresh_from_db()
    assert standalone.centre_id is None
    entry = AuditEntry.objects.get(action=AuditAction.CATALOGUE_CHANGED, object_id=standalone.pk)
    assert entry.actor == staff
    assert entry.centre_id == centre.pk
    assert entry.data == {"change": "published", "from_centre": centre.pk}
    client.force_login(outsider)
    assert client.get(reverse("unit_detail", args=[standalone.slug])).status_code == 200


def test_publishing_a_qualification_publishes_its_own_units(client, staff, outsider, own, shared):
    qualification, unit, standalone = own
    client.force_login(staff)
    client.post(reverse("qualification_publish", args=[qualification.pk]))
    qualification.refresh_from_db()
    unit.refresh_from_db()
    standalone.refresh_from_db()
    assert (qualification.centre_id, unit.centre_id) == (None, None)
    assert standalone.centre_id is not None  # not part of the qualification
    published = AuditEntry.objects.filter(
        action=AuditAction.CATALOGUE_CHANGED, data__change="published"
    ).order_by("seq")
    assert [(e.object_type, e.object_id) for e in published] == [
        ("qualifications.unit", unit.pk),
        ("qualifications.qualification", qualification.pk),
    ]
    client.force_login(outsider)
    page = client.get(reverse("qualification_detail", args=[qualification.pk]))
    assert page.status_code == 200
    assert _shows(page, OWN_UNIT_TITLE)


def test_publishing_a_unit_publishes_every_version_its_centre_owns(staff, own):
    unit = own[1]
    second = copy_unit(unit)
    published = ownership.catalogue_publish(obj=second, by=staff)
    assert [(u.pk, u.version) for u in published] == [(unit.pk, 1), (second.pk, 2)]
    assert set(Unit.objects.filter(lineage=unit.lineage).values_list("centre", flat=True)) == {None}
    assert AuditEntry.objects.filter(data__change="published").count() == 2


def test_publish_refused_when_the_shared_catalogue_has_it(client, staff, own):
    qualification, unit, _ = own
    shared_twin = Unit.objects.create(slug="shared-twin", code="Z/900/0001", title="Shared one")
    client.force_login(staff)
    response = client.post(reverse("qualification_publish", args=[qualification.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was published. The shared catalogue already has unit Z/900/0001 version 1 "
        f"({shared_twin.title}); publish a new version instead, or use the shared one."
    ]
    qualification.refresh_from_db()
    unit.refresh_from_db()
    assert (qualification.centre_id, unit.centre_id) != (None, None)
    assert unit.centre_id is not None and qualification.centre_id is not None
    assert not AuditEntry.objects.filter(data__change="published").exists()


def test_publish_refused_for_a_shared_number_and_version(staff, own, shared):
    qualification = own[0]
    Qualification.objects.filter(pk=shared[0].pk).update(number=OWN_NUMBER)
    with pytest.raises(ValidationError) as refused:
        ownership.catalogue_publish(obj=qualification, by=staff)
    assert refused.value.messages == [
        f"The shared catalogue already has qualification {OWN_NUMBER} version 1 "
        "(Level 2 Diploma in Testing)."
    ]
    assert Unit.objects.get(pk=own[1].pk).centre_id is not None


def test_forged_publish_changes_nothing(client, centre_admin, outsider, learner, own, shared):
    qualification, unit, _ = own
    for person, expected in ((centre_admin, 403), (learner, 403), (outsider, 404)):
        client.force_login(person)
        assert client.post(reverse("unit_publish", args=[unit.slug])).status_code == expected
        assert (
            client.post(reverse("qualification_publish", args=[qualification.pk])).status_code
            == expected
        )
    client.force_login(centre_admin)
    assert client.post(reverse("unit_publish", args=[shared[1].slug])).status_code == 403
    assert client.get(reverse("unit_publish", args=[unit.slug])).status_code == 405
    assert Unit.objects.filter(centre__isnull=False).count() == 2
    assert Qualification.objects.filter(centre__isnull=False).count() == 1
    assert not AuditEntry.objects.filter(data__change="published").exists()


def test_publish_button_only_for_staff(client, centre_admin, own):
    client.force_login(centre_admin)
    page = client.get(reverse("unit_detail", args=[own[1].slug]))
    assert not _shows(page, "Publish this unit")


# ---------------------------------------------------------------- importing as an owner

SPEC = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2
Credit value: 3
Guided learning hours: 20

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered promptly
"""
CONFIRM = {"source_text": SPEC, "confirm": "1", "unit-0-title": "", "unit-0-code": ""}
# Saving an import passes the chosen owner to `spec_import(centre=…)` (the versions work).
needs_owned_import = pytest.mark.skipif(
    "centre" not in inspect.signature(spec_import).parameters,
    reason="spec_import(centre=…) comes with the catalogue versions work",
)


@pytest.mark.parametrize("forged", ["other", "shared", "999999", ""])
def test_forged_import_owner_is_refused(client, centre_admin, other_centre, forged):
    client.force_login(centre_admin)
    owner = str(other_centre.pk) if forged == "other" else forged
    for data in ({"text": SPEC, "owner": owner}, {**CONFIRM, "owner": owner}):
        response = client.post(reverse("spec_import"), data)
        assert response.status_code == 400
        assert response.context["owner_form"].errors["owner"]
    assert not Unit.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.SPEC_IMPORTED).exists()


def test_import_page_refused_to_people_who_import_nothing(client, learner, outsider):
    client.force_login(learner)
    assert client.get(reverse("spec_import")).status_code == 403
    assert client.post(reverse("spec_import"), {"text": SPEC}).status_code == 403
    assert not Unit.objects.exists()


def test_admin_of_two_centres_chooses_where_to_import(client, centre_admin, other_centre):
    MembershipFactory(user=centre_admin, centre=other_centre, role=Role.CENTRE_ADMIN)
    client.force_login(centre_admin)
    page = client.get(reverse("spec_import"))
    assert [label for _, label in page.context["owner_form"].fields["owner"].choices] == [
        "Alpha College's own catalogue",
        "Beta Training's own catalogue",
    ]
    assert 'name="owner"' in page.text and "<select" in page.text
    missing = client.post(reverse("spec_import"), {"text": SPEC})
    assert missing.status_code == 400
    assert missing.context["owner_form"].errors == {"owner": ["This field is required."]}


def test_editor_may_import_into_the_shared_catalogue(client, staff, centre_admin):
    ownership.catalogue_editor_grant(person=centre_admin, by=staff)
    client.force_login(centre_admin)
    page = client.get(reverse("spec_import"))
    assert [value for value, _ in page.context["owner_form"].fields["owner"].choices] == [
        "shared",
        str(centre_admin.memberships.get().centre_id),
    ]


@needs_owned_import
def test_centre_admin_imports_into_their_centres_own(client, centre_admin, centre, outsider):
    client.force_login(centre_admin)
    preview = client.post(reverse("spec_import"), {"text": SPEC})
    assert preview.status_code == 200
    assert "Alpha College&#x27;s own catalogue" in preview.text
    saved = client.post(reverse("spec_import"), CONFIRM)
    unit = Unit.objects.get(code="D/601/1234")
    assert saved.url == unit.get_absolute_url()
    assert unit.centre == centre
    client.force_login(outsider)
    assert client.get(unit.get_absolute_url()).status_code == 404


@needs_owned_import
def test_staff_import_into_the_shared_catalogue(client, staff, outsider):
    client.force_login(staff)
    client.post(reverse("spec_import"), CONFIRM)
    unit = Unit.objects.get(code="D/601/1234")
    assert unit.centre_id is None
    client.force_login(outsider)
    assert client.get(unit.get_absolute_url()).status_code == 200


def test_the_trail_stays_intact_after_grants_and_publishing(staff, centre_admin, own):
    ownership.catalogue_editor_grant(person=centre_admin, by=staff)
    ownership.catalogue_editor_revoke(person=centre_admin, by=staff)
    ownership.catalogue_publish(obj=own[0], by=staff)
    report = verify_chain()
    assert report.ok, report.problem
    call_command("verify_audit")  # rows and their entries agree too (raises if not)
