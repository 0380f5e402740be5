"""Class lists that the database cannot hold, or that unpack too large, and the purge of
previews. Run once on SQLite and once with DATABASE_URL pointing at PostgreSQL."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from centres.intake import IntakeFileError, read_rows
from centres.models import IntakeUpload
from centres.tasks import intake_purge_schedule, purge_intake_previews
from portfolios.models import Enrolment
from tests.catalogue import load_seed_catalogue

HEADER = (
    "name,email,registration_number,qualification_number,units,tutor_email,start_date,"
    "planned_end_date"
)
ROW = "{name},dev@example.org,{registration},,J/507/1557,bob@example.org,2026-09-01,2027-01-31"


@pytest.fixture
def catalogue(db):
    load_seed_catalogue()


def _csv(name="Dev Patel", registration="BI0001"):
    text = "\n".join([HEADER, ROW.format(name=name, registration=registration)])
    return SimpleUploadedFile("class.csv", text.encode())


def _preview(client, centre, upload):
    return client.post(reverse("intake_upload", args=[centre.pk]), {"file": upload})


def _nobody_added():
    return not User.objects.filter(email="dev@example.org").exists() and (
        not Enrolment.objects.exists()
    )


@pytest.mark.parametrize(
    ("name", "registration", "error"),
    [
        (
            "Dev " + "P" * 151,
            "BI0001",
            ("name", "The last name is 151 characters long; at most 150 fit."),
        ),
        (
            "D" * 151 + " Patel",
            "BI0001",
            ("name", "The first name is 151 characters long; at most 150 fit."),
        ),
        (
            "Dev Patel",
            "B" * 41,
            (
                "registration_number",
                "The registration number is 41 characters long; at most 40 fit.",
            ),
        ),
        (
            "Dev\x00 Patel",
            "BI0001",
            ("name", "The cell holds a NUL character; the file may be damaged."),
        ),
        (
            "Dev Patel",
            "BI\x000001",
            ("registration_number", "The cell holds a NUL character; the file may be damaged."),
        ),
    ],
    ids=["last-name", "first-name", "registration", "nul-name", "nul-registration"],
)
def test_row_the_database_cannot_hold_is_an_error_in_words(
    client, centre_admin, centre, tutor, catalogue, name, registration, error
):
    client.force_login(centre_admin)
    preview = _preview(client, centre, _csv(name=name, registration=registration))
    assert preview.status_code == 200
    (row,) = preview.context["result"].rows
    assert row.errors == [error]
    assert "Nothing has been saved" in preview.text
    confirmed = client.post(
        reverse("intake_confirm", args=[centre.pk, IntakeUpload.objects.latest("pk").pk])
    )
    assert confirmed.status_code == 400
    assert _nobody_added()


# ---------------------------------------------------------------- .xlsx unpacked size


def _xlsx(*, padding=0, parts=0) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(ROW.format(name="Dev Patel", registration="BI0001").split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        if padding:
            archive.writestr("xl/media/padding.bin", b"\0" * padding)
        for number in range(parts):
            archive.writestr(f"extra/part{number}.xml", b"<a/>")
    return buffer.getvalue()


def test_ordinary_xlsx_is_read():
    (row,) = read_rows("class.xlsx", _xlsx())
    assert row.values["email"] == "dev@example.org"


def test_xlsx_inflating_beyond_the_limit_is_refused_before_it_is_parsed(settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_MB = 5
    data = _xlsx(padding=6 * 1024 * 1024)
    assert len(data) < 100 * 1024
    with pytest.raises(IntakeFileError, match=r"^class\.xlsx cannot be read: it unpacks to 6\."):
        read_rows("class.xlsx", data)


def test_xlsx_with_too_many_parts_is_refused(settings):
    settings.ARCHIVE_MAX_ENTRIES = 30
    with pytest.raises(IntakeFileError, match=r"holds \d+ parts; at most 30 are accepted"):
        read_rows("class.xlsx", _xlsx(parts=40))


def test_upload_page_refuses_the_bomb(client, centre_admin, centre, settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_MB = 5
    client.force_login(centre_admin)
    upload = SimpleUploadedFile("class.xlsx", _xlsx(padding=6 * 1024 * 1024))
    response = _preview(client, centre, upload)
    assert response.status_code == 400
    assert "class.xlsx cannot be read: it unpacks to 6." in response.text
    assert "(ARCHIVE_MAX_UNCOMPRESSED_MB)" in response.text
    assert not IntakeUpload.objects.exists()


# ---------------------------------------------------------------- purging previews


def _upload(centre, *, days_ago, imported=False):
    upload = IntakeUpload.objects.create(
        centre=centre, file_name=f"{days_ago}.csv", content=b"name,email\n"
    )
    when = timezone.now() - datetime.timedelta(days=days_ago)
    IntakeUpload.objects.filter(pk=upload.pk).update(
        uploaded_at=when, imported_at=when if imported else None
    )
    return upload


def test_purge_deletes_previews_older_than_the_setting_only(centre, settings, capsys):
    settings.INTAKE_PREVIEW_DAYS = 7
    _upload(centre, days_ago=8)
    kept = [
        _upload(centre, days_ago=6),
        _upload(centre, days_ago=30, imported=True),  # the record of an import, not a preview
    ]
    call_command("purge_intake_previews")
    assert sorted(IntakeUpload.objects.values_list("pk", flat=True)) == sorted(u.pk for u in kept)
    assert "Deleted 1 intake preview(s) older than 7 day(s)." in capsys.readouterr().out


def _queued():
    return DBTaskResult.objects.filter(
        task_path=purge_intake_previews.module_path, status=TaskResultStatus.READY
    )


def test_schedule_queues_one_nightly_run(db, capsys):
    call_command("purge_intake_previews", "--schedule")
    call_command("purge_intake_previews", "--schedule")  # bin/run does this at every start
    (queued,) = _queued()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert timezone.localtime(queued.run_after) == timezone.make_aware(
        datetime.datetime.combine(tomorrow, datetime.time(3, 30))
    )
    out = capsys.readouterr().out
    assert "The daily run is queued." in out
    assert "The daily run was queued already." in out


def test_the_task_purges_and_queues_its_next_run(centre, settings):
    settings.INTAKE_PREVIEW_DAYS = 7
    _upload(centre, days_ago=8)
    purge_intake_previews.call()  # what the worker runs
    assert not IntakeUpload.objects.exists()
    assert _queued().count() == 1
    assert intake_purge_schedule() is False  # already queued: no second chain
