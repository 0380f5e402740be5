"""Setting up an intake from a spreadsheet: dry run, all or nothing, repeatable."""

import datetime
import io

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership, User
from centres.models import IntakeUpload
from portfolios.models import Enrolment
from tests.catalogue import load_seed_catalogue
from tests.factories import MembershipFactory, UserFactory

HEADER = (
    "name,email,registration_number,qualification_number,units,tutor_email,start_date,"
    "planned_end_date"
)
GOOD = [
    "Dev Patel,dev@example.org,BI0001,601/3734/4,,bob@example.org,2026-09-01,2027-07-31",
    "Erin O'Neil,erin@example.org,,,J/507/1557,bob@example.org,01/09/2026,31/01/2027",
]


@pytest.fixture
def catalogue(db):
    load_seed_catalogue()


def _csv(*rows, header=HEADER):
    return SimpleUploadedFile("class.csv", "\n".join([header, *rows]).encode())


def _preview(client, centre, upload):
    return client.post(reverse("intake_upload", args=[centre.pk]), {"file": upload})


def _confirm(client, centre, capture=None):
    upload = IntakeUpload.objects.latest("pk")
    url = reverse("intake_confirm", args=[centre.pk, upload.pk])
    if capture is None:
        return client.post(url)
    with capture(execute=True):  # invitations are sent once the import has committed
        return client.post(url)


def test_valid_file_previews_then_imports(
    client, centre_admin, centre, tutor, catalogue, django_capture_on_commit_callbacks
):
    client.force_login(centre_admin)
    preview = _preview(client, centre, _csv(*GOOD))
    assert preview.status_code == 200
    assert [r.actions for r in preview.context["result"].rows] == [
        ["new person", "new enrolment"],
        ["new person", "new enrolment"],
    ]
    assert not User.objects.filter(email="dev@example.org").exists()  # a dry run saves nothing

    response = _confirm(client, centre, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    dev = Enrolment.objects.get(learner__email="dev@example.org")
    assert (dev.qualification.number, dev.tutor, dev.registration_number) == (
        "601/3734/4",
        tutor,
        "BI0001",
    )
    # No units named: the five mandatory units of the diploma.
    assert sorted(dev.units.values_list("code", flat=True)) == [
        "A/506/1964",
        "A/506/2130",
        "F/506/2131",
        "J/506/2132",
        "L/506/1788",
    ]
    erin = Enrolment.objects.get(learner__email="erin@example.org")
    assert erin.qualification is None
    assert list(erin.units.values_list("code", flat=True)) == ["J/507/1557"]
    assert str(erin.start_date) == "2026-09-01"
    assert Membership.objects.filter(centre=centre, role=Role.LEARNER).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["dev@example.org", "erin@example.org"]


def test_errors_in_several_rows_are_all_reported_and_nothing_saved(
    client, centre_admin, centre, tutor, catalogue
):
    client.force_login(centre_admin)
    rows = [
        GOOD[0],
        "No Tutor,nt@example.org,,601/3734/4,,nobody@example.org,2026-09-01,2027-07-31",
        "Bad Date,bd@example.org,,601/3734/4,,bob@example.org,next week,2027-07-31",
        "Bad Unit,bu@example.org,,601/3734/4,X/999/9999,bob@example.org,2026-09-01,2027-07-31",
        "Not An Email,not-an-email,,601/3734/4,,bob@example.org,2026-09-01,2027-07-31",
    ]
    preview = _preview(client, centre, _csv(*rows))
    errors = {r.number: r.errors for r in preview.context["result"].rows if r.errors}
    assert errors == {
        3: [("tutor_email", "No tutor with the e-mail 'nobody@example.org' at this centre.")],
        4: [("start_date", "'next week' is not a date; write it as 2026-09-01 or 01/09/2026.")],
        5: [("units", "No unit X/999/9999 in the catalogue.")],
        6: [("email", "'not-an-email' is not an e-mail address.")],
    }
    assert "Nothing has been saved" in preview.text
    assert 'action="/centres/' not in preview.text  # no import button
    response = _confirm(client, centre)
    assert response.status_code == 400
    assert (
        not User.objects.filter(email__endswith="@example.org")
        .exclude(username__in=["bob", "carol"])
        .exists()
    )
    assert Enrolment.objects.count() == 0
    assert mail.outbox == []


def test_repeated_import_adds_nothing_twice_and_changes_no_details(
    client, centre_admin, centre, tutor, catalogue, django_capture_on_commit_callbacks
):
    client.force_login(centre_admin)
    _preview(client, centre, _csv(*GOOD))
    _confirm(client, centre, django_capture_on_commit_callbacks)
    second_tutor = UserFactory(username="tess", email="tess@example.org")
    MembershipFactory(user=second_tutor, centre=centre, role=Role.TUTOR)
    changed = GOOD[0].replace("bob@example.org", "tess@example.org")
    preview = _preview(client, centre, _csv(changed, GOOD[1]))
    rows = preview.context["result"].rows
    assert [r.actions for r in rows] == [["unchanged"], ["unchanged"]]
    assert rows[0].kept == [
        f"tutor stays {tutor} (the list says {second_tutor}); change it on the enrolment's page"
    ]
    _confirm(client, centre, django_capture_on_commit_callbacks)
    assert Enrolment.objects.count() == 2
    assert User.objects.filter(email="dev@example.org").count() == 1
    assert Enrolment.objects.get(learner__email="dev@example.org").tutor == tutor
    assert len(mail.outbox) == 2  # invitations only for the first import's new people


def test_another_centres_tutor_is_refused(client, centre_admin, centre, outsider, catalogue):
    client.force_login(centre_admin)
    outsider.email = "charlie@example.org"
    outsider.save()
    row = "Dev Patel,dev@example.org,,601/3734/4,,charlie@example.org,2026-09-01,2027-07-31"
    preview = _preview(client, centre, _csv(row))
    assert preview.context["result"].rows[0].errors == [
        ("tutor_email", "No tutor with the e-mail 'charlie@example.org' at this centre.")
    ]
    _confirm(client, centre)
    assert Enrolment.objects.count() == 0


def test_xlsx_with_other_headings_and_real_dates(client, centre_admin, centre, tutor, catalogue):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["First name", "Surname", "E-mail", "Qualification", "Units", "Tutor", "Start", "End date"]
    )
    sheet.append(["Dev", "Patel", "dev@example.org", "601/3734/4", "", "bob@example.org",
                  datetime.datetime(2026, 9, 1), datetime.datetime(2027, 7, 31)])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(centre_admin)
    upload = SimpleUploadedFile("class.xlsx", buffer.getvalue())
    preview = _preview(client, centre, upload)
    assert preview.context["result"].rows[0].actions == ["new person", "new enrolment"]
    _confirm(client, centre)
    assert Enrolment.objects.get().planned_end_date == datetime.date(2027, 7, 31)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("class.csv", b"", "The submitted file is empty."),
        ("class.csv", b"name,email\nDev,dev@example.org\n", "has no column for: tutor_email"),
        ("class.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
        ("class.xlsx", b"<html>not a workbook</html>", "is not an XLSX workbook"),
        ("class.csv", "name;email\n\xff".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_get_a_clear_message(client, centre_admin, centre, name, content, message):
    client.force_login(centre_admin)
    response = _preview(client, centre, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.text
    assert not IntakeUpload.objects.exists()


def test_learner_and_other_centre_cannot_import(client, learner, outsider, centre, catalogue):
    client.force_login(learner)
    assert _preview(client, centre, _csv(*GOOD)).status_code == 403
    client.force_login(outsider)
    assert _preview(client, centre, _csv(*GOOD)).status_code == 404
    assert not IntakeUpload.objects.exists()


def test_other_centre_cannot_confirm_this_centres_upload(
    client, centre_admin, centre, tutor, outsider, other_centre, catalogue
):
    client.force_login(centre_admin)
    _preview(client, centre, _csv(*GOOD))
    upload = IntakeUpload.objects.get()
    client.force_login(outsider)
    # Through its own centre's URL, the upload of centre A is not found.
    response = client.post(reverse("intake_confirm", args=[other_centre.pk, upload.pk]))
    assert response.status_code == 404
    assert Enrolment.objects.count() == 0
