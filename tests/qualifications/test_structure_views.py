"""The structure pages: download a qualification's document, upload one with a preview."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.enums import Role
from audit.models import AuditEntry
from qualifications.catalogue import serialize_catalogue
from qualifications.models import Qualification, Unit
from qualifications.permissions import EDITOR_GROUP
from qualifications.structure import export_structure, import_structure
from tests.factories import MembershipFactory, UserFactory
from tests.qualifications.test_structure import enrol_on, graded_document

IMPORT_URL = "/catalogue/import/structure/"


def upload(document, name="structure.json"):
    return SimpleUploadedFile(name, json.dumps(document).encode(), "application/json")


@pytest.fixture
def staff(db):
    return UserFactory(username="sam", is_staff=True)


@pytest.fixture
def shared(db):
    import_structure(graded_document())
    return Qualification.objects.get(number="603/0001/1")


@pytest.fixture
def own(centre):
    document = graded_document()
    document["qualification"] |= {"number": "IH/0001", "title": "Alpha in-house certificate"}
    for unit in document["units"]:
        unit["slug"] = f"alpha-{unit['slug']}"
        unit["lineage"] = unit["slug"]
        unit["code"] = ""
    document["barred"] = [{"unit": "alpha-b-601-0002", "barred": "alpha-b-601-0003"}]
    import_structure(document, centre=centre)
    return Qualification.objects.get(number="IH/0001")


def unchanged(client_call):
    """Run the call; assert it changed neither the catalogue nor the audit trail."""
    catalogue, entries = serialize_catalogue(), AuditEntry.objects.count()
    response = client_call()
    assert serialize_catalogue() == catalogue
    assert AuditEntry.objects.count() == entries
    return response


# ---------------------------------------------------------------- download


def test_download_is_the_exported_document(client, shared, learner):
    client.force_login(learner)
    response = client.get(reverse("qualification_structure", args=[shared.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="603-0001-1-v1.json"'
    assert json.loads(response.content) == export_structure(shared)


def test_download_needs_sign_in(client, shared):
    response = client.get(reverse("qualification_structure", args=[shared.pk]))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_centres_own_structure_is_hidden_from_other_centres(client, own, learner, outsider):
    url = reverse("qualification_structure", args=[own.pk])
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 404
    assert b"Alpha in-house" not in response.content
    client.force_login(learner)
    assert json.loads(client.get(url).content)["qualification"]["number"] == "IH/0001"


def test_download_is_get_only(client, shared, learner):
    client.force_login(learner)
    assert client.post(reverse("qualification_structure", args=[shared.pk])).status_code == 405


def test_qualification_page_links_to_the_download(client, shared, learner):
    client.force_login(learner)
    page = client.get(reverse("qualification_detail", args=[shared.pk])).content.decode()
    assert f'href="/catalogue/qualifications/{shared.pk}/structure.json"' in page
    assert "Download structure (JSON)" in page


# ---------------------------------------------------------------- upload: who


def test_upload_page_refuses_learners_and_tutors(client, learner, tutor):
    for person in (learner, tutor):
        client.force_login(person)
        assert client.get(IMPORT_URL).status_code == 403
        response = unchanged(
            lambda: client.post(IMPORT_URL, {"file": upload(graded_document()), "confirm": "1"})
        )
        assert response.status_code == 403


def test_upload_page_needs_sign_in(client, db):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_centre_admin_is_offered_only_their_centres_catalogue(client, centre_admin, centre):
    client.force_login(centre_admin)
    response = client.get(IMPORT_URL)
    assert response.status_code == 200
    choices = response.context["form"].fields["catalogue"].choices
    assert choices == [(str(centre.pk), "Alpha College's own catalogue")]


def test_catalogue_editor_is_offered_the_shared_catalogue(client, db):
    editor = UserFactory(username="edna")
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    group.permissions.add(Permission.objects.get(codename="edit_shared_catalogue"))
    editor.groups.add(group)
    client.force_login(editor)
    choices = client.get(IMPORT_URL).context["form"].fields["catalogue"].choices
    assert choices == [("shared", "The shared catalogue")]


# ---------------------------------------------------------------- upload: preview, then save


def test_centre_admin_previews_then_imports_as_the_centres_own(client, centre_admin, centre):
    client.force_login(centre_admin)
    preview = unchanged(
        lambda: client.post(IMPORT_URL, {"file": upload(graded_document()), "catalogue": centre.pk})
    )
    assert preview.status_code == 200
    report = preview.context["report"]
    assert [(i.key, i.action) for i in report.items] == [
        ("B/601/0001", "created"),
        ("B/601/0002", "created"),
        ("B/601/0003", "created"),
        ("b-601-0004", "created"),
        ("603/0001/1", "created"),
    ]
    page = preview.content.decode()
    assert "Into <strong>Alpha College&#x27;s own catalogue</strong>" in page
    assert page.count('<span class="badge text-bg-success">new</span>') == 5

    saved = client.post(
        IMPORT_URL,
        {
            "document": preview.context["document_text"],
            "catalogue": preview.context["catalogue"],
            "confirm": "1",
        },
    )
    qualification = Qualification.objects.get(number="603/0001/1")
    assert saved.status_code == 302
    assert saved.url == f"/catalogue/qualifications/{qualification.pk}/"
    assert qualification.centre == centre
    assert set(Unit.objects.values_list("centre", flat=True)) == {centre.pk}
    entry = AuditEntry.objects.filter(object_type="qualifications.qualification").get()
    assert (entry.actor, entry.centre_id) == (centre_admin, centre.pk)


def test_preview_shows_a_new_version_and_its_changes(client, shared, staff):
    document = graded_document()
    document["units"][0]["outcomes"][0]["criteria"].pop()
    document["units"][0]["outcomes"][0]["criteria"][0]["text"] = "Reworded"
    enrol_on(shared)  # learners use unit 1: it becomes version 2
    client.force_login(staff)
    preview = unchanged(
        lambda: client.post(IMPORT_URL, {"file": upload(document), "catalogue": "shared"})
    )
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "new version (v1 is in use and stays)" in page
    assert '<td class="small">1 removed, 1 reworded' in page
    unit = preview.context["report"].units[0]
    assert (unit.action, unit.version, unit.previous_version) == ("new_version", 2, 1)


def test_same_document_again_says_nothing_changes(client, shared, staff):
    client.force_login(staff)
    preview = client.post(IMPORT_URL, {"file": upload(graded_document()), "catalogue": "shared"})
    page = preview.content.decode()
    assert "It matches the catalogue exactly: importing it changes nothing." in page
    assert 'name="confirm"' not in page


# ---------------------------------------------------------------- upload: refused


def test_schema_failure_is_shown_and_nothing_saved(client, centre_admin, centre):
    document = graded_document()
    document["units"][3]["outcomes"][0]["criteria"][1]["grade"] = "excellent"
    client.force_login(centre_admin)
    response = unchanged(
        lambda: client.post(
            IMPORT_URL, {"file": upload(document), "catalogue": centre.pk, "confirm": "1"}
        )
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Nothing was imported: the document has these faults.",
        "units[3].outcomes[0].criteria[1].grade: 'excellent' is not one of "
        "['', 'pass', 'merit', 'distinction']",
    ]


def test_not_json_is_refused(client, centre_admin, centre):
    client.force_login(centre_admin)
    bad = SimpleUploadedFile("x.json", b"<html>", "application/json")
    response = unchanged(lambda: client.post(IMPORT_URL, {"file": bad, "catalogue": centre.pk}))
    assert response.status_code == 400
    assert "not JSON" in response.content.decode()


def test_centre_admin_forging_the_shared_catalogue_is_refused(client, centre_admin):
    client.force_login(centre_admin)
    response = unchanged(
        lambda: client.post(
            IMPORT_URL, {"file": upload(graded_document()), "catalogue": "shared", "confirm": "1"}
        )
    )
    assert response.status_code == 400
    assert "shared is not one of the available choices" in response.content.decode()


def test_centre_admin_forging_another_centre_is_refused(client, centre_admin, other_centre):
    client.force_login(centre_admin)
    response = unchanged(
        lambda: client.post(
            IMPORT_URL,
            {"file": upload(graded_document()), "catalogue": other_centre.pk, "confirm": "1"},
        )
    )
    assert response.status_code == 400


def test_centre_admin_cannot_change_a_shared_unit_by_upload(client, shared, centre_admin, centre):
    document = graded_document()
    document["units"][1]["title"] = "Forged marketing"
    client.force_login(centre_admin)
    response = unchanged(
        lambda: client.post(
            IMPORT_URL, {"file": upload(document), "catalogue": centre.pk, "confirm": "1"}
        )
    )
    assert response.status_code == 400
    assert (
        "units[1]: unit B/601/0002 is in the shared catalogue and this document changes it"
        in response.content.decode()
    )
    assert Unit.objects.get(slug="b-601-0002").title == "Marketing"


def test_tutor_with_admin_role_elsewhere_imports_only_there(client, tutor, other_centre):
    MembershipFactory(user=tutor, centre=other_centre, role=Role.CENTRE_ADMIN)
    client.force_login(tutor)
    choices = client.get(IMPORT_URL).context["form"].fields["catalogue"].choices
    assert choices == [(str(other_centre.pk), "Beta Training's own catalogue")]
