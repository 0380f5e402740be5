"""What the catalogue's columns cannot hold, and archives too large unpacked: refused in words.

Run once on SQLite and once with DATABASE_URL pointing at PostgreSQL: PostgreSQL refuses NUL
and over-long or out-of-range values with an error of its own, SQLite keeps them, and both
must give the same message.
"""

import io
import re
import zipfile

import docx
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from qualifications.archives import ArchiveRefused, check_archive
from qualifications.importer import SpecParseError, parse_spec
from qualifications.models import AssessmentCriterion, LearningOutcome, Unit
from qualifications.resources import AssessmentCriterionResource, UnitResource
from qualifications.services import SpecImportError, spec_import
from qualifications.textextract import extract_text

SPEC = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2
Credit value: 3
Guided learning hours: 20

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered promptly
"""

LONG_TITLE = "Handle " + "very " * 80 + "long enquiries"  # 412 characters; the column holds 300


def _nothing_saved():
    return not (
        Unit.objects.exists()
        or LearningOutcome.objects.exists()
        or AssessmentCriterion.objects.exists()
    )


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- the spec importer


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            SPEC.replace("Handle customer enquiries", LONG_TITLE),
            f"The title is {len(LONG_TITLE)} characters long; at most 300 fit.",
        ),
        (
            SPEC.replace("Understand how to handle enquiries", "Understand " + "x" * 600),
            "The title is 611 characters long; at most 500 fit.",
        ),
    ],
    ids=["title", "outcome-title"],
)
def test_command_refuses_what_the_columns_cannot_hold(db, tmp_path, spec, message):
    with pytest.raises(CommandError) as refused:
        call_command("import_spec", _write(tmp_path, "spec.txt", spec))
    assert str(refused.value).startswith("Nothing was imported.")
    assert message in str(refused.value)
    assert _nothing_saved()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda unit: setattr(unit, "credit_value", 99999),
            "The credit value 99999 is not between 0 and 32767.",
        ),
        (
            lambda unit: setattr(unit, "glh", 70000),
            "The guided learning hours 70000 is not between 0 and 32767.",
        ),
        (
            lambda unit: setattr(unit.outcomes[0].criteria[0], "text", "Describe\x00it"),
            "The text holds a NUL character (binary data).",
        ),
        (
            lambda unit: unit.other_codes.update({"LASER": "W" * 41}),
            "The code is 41 characters long; at most 40 fit.",
        ),
    ],
    ids=["credits", "glh", "nul", "other-code"],
)
def test_service_refuses_what_reached_it_unchecked(db, change, message):
    # The parser finds 99999 credits implausible and refuses NUL; the service does not rely
    # on every reader doing the same.
    result = parse_spec(SPEC)
    change(result.units[0])
    with pytest.raises(SpecImportError) as refused:
        spec_import(result=result)
    assert message in str(refused.value)
    assert _nothing_saved()


def test_page_refuses_an_over_long_title_with_a_message(client, centre_admin):
    client.force_login(centre_admin)
    spec = SPEC.replace("Handle customer enquiries", LONG_TITLE)
    preview = client.post(reverse("spec_import"), {"text": spec})
    assert preview.status_code == 200
    assert f"The title is {len(LONG_TITLE)} characters long; at most 300 fit." in preview.text
    confirmed = client.post(
        reverse("spec_import"),
        {"source_text": spec, "confirm": "1", "unit-0-title": "", "unit-0-code": ""},
    )
    assert confirmed.status_code == 400
    assert "Nothing was imported." in confirmed.text
    assert _nothing_saved()


def test_page_refuses_an_over_long_outcome_title(client, centre_admin):
    client.force_login(centre_admin)
    spec = SPEC.replace("Understand how to handle enquiries", "Understand " + "x" * 600)
    confirmed = client.post(
        reverse("spec_import"),
        {"source_text": spec, "confirm": "1", "unit-0-title": "", "unit-0-code": ""},
    )
    assert confirmed.status_code == 400
    assert "The title is 611 characters long; at most 500 fit." in confirmed.text
    assert _nothing_saved()


def test_page_refuses_pasted_nul(client, centre_admin):
    client.force_login(centre_admin)
    response = client.post(reverse("spec_import"), {"text": SPEC.replace("1.2", "1.\x002")})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.text
    assert _nothing_saved()


# ---------------------------------------------------------------- the admin's resources


def _unit_rows(**values):
    row = {
        "slug": "d-601-1234",
        "code": "D/601/1234",
        "title": "Handle customer enquiries",
        "title_is_provisional": "0",
        "needs_code": "0",
        "level": "2",
        "credit_value": "3",
        "glh": "20",
        "assessment_guidance": "",
        "additional_information": "",
        "notes": "",
        **values,
    }
    return tablib.Dataset(list(row.values()), headers=list(row))


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": "x" * 301}, "title", "The title is 301 characters long; at most 300 fit."),
        ({"code": "D/601/12345678901234567"}, "code", "at most 20 fit."),
        (
            {"credit_value": "99999"},
            "credit_value",
            "The credit value 99999 is not between 0 and 32767.",
        ),
        (
            {"glh": "70000"},
            "glh",
            "The guided learning hours 70000 is not between 0 and 32767.",
        ),
        ({"notes": "a\x00b"}, "notes", "The cell holds a NUL character (binary data)."),
        ({"slug": "d\x00"}, "slug", "The cell holds a NUL character (binary data)."),
    ],
    ids=["title", "code", "credits", "glh", "nul", "nul-in-the-key"],
)
def test_unit_resource_refuses_the_row_in_words(db, values, field, message):
    result = UnitResource().import_data(_unit_rows(**values), dry_run=True)
    assert not result.has_errors()  # no exception, no traceback: a row to correct
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert any(message in text for text in invalid.error_dict[field])
    assert not Unit.objects.exists()


def test_criterion_resource_refuses_a_criterion_number_too_long(db):
    unit = Unit.objects.create(slug="d-601-1234", code="D/601/1234", title="Enquiries")
    LearningOutcome.objects.create(unit=unit, number="1", title="Understand")
    dataset = tablib.Dataset(headers=["unit", "outcome", "number", "text", "guidance"])
    dataset.append(["d-601-1234", "1", "1." + "1" * 20, "Describe", ""])
    result = AssessmentCriterionResource().import_data(dataset, dry_run=True)
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.error_dict["number"] == ["The number is 22 characters long; at most 12 fit."]


def test_admin_import_page_shows_the_row_error(client, db):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    upload = SimpleUploadedFile("units.csv", _unit_rows(glh="70000").csv.encode())
    response = client.post(
        "/admin/qualifications/unit/import/",
        {"resource": "0", "format": "0", "import_file": upload},
    )
    assert response.status_code == 200
    assert "The guided learning hours 70000 is not between 0 and 32767." in response.text
    assert not Unit.objects.exists()


# ---------------------------------------------------------------- archives


def _docx(*, padding: int = 0, parts: int = 0) -> bytes:
    """A real .docx with the spec's text, plus a part of `padding` zero bytes (which deflate
    to almost nothing) and `parts` tiny extra parts."""
    document = docx.Document()
    for line in SPEC.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        if padding:
            archive.writestr("word/media/padding.bin", b"\0" * padding)
        for number in range(parts):
            archive.writestr(f"extra/part{number}.xml", b"<a/>")
    return buffer.getvalue()


def test_ordinary_docx_passes_the_check():
    data = _docx()
    check_archive(data)
    assert "D/601/1234" in extract_text("spec.docx", data)


def test_docx_inflating_beyond_the_limit_is_refused_before_it_is_parsed(settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_MB = 5
    data = _docx(padding=6 * 1024 * 1024)
    assert len(data) < 100 * 1024  # small on the wire
    with pytest.raises(SpecParseError) as refused:
        extract_text("bomb.docx", data)
    assert re.fullmatch(
        r"bomb\.docx cannot be read: it unpacks to 6\.\d MB; at most 5 MB is accepted "
        r"\(ARCHIVE_MAX_UNCOMPRESSED_MB\)\.",
        str(refused.value),
    )


def test_docx_with_too_many_parts_is_refused(settings):
    settings.ARCHIVE_MAX_ENTRIES = 50
    data = _docx(parts=60)
    with pytest.raises(SpecParseError, match=r"holds \d+ parts; at most 50 are accepted"):
        extract_text("many.docx", data)


def test_damaged_zip_is_refused_in_words():
    with pytest.raises(ArchiveRefused, match="damaged"):
        check_archive(b"PK\x03\x04 not really a zip")


def test_upload_page_refuses_the_bomb(client, centre_admin, settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_MB = 5
    client.force_login(centre_admin)
    upload = SimpleUploadedFile("bomb.docx", _docx(padding=6 * 1024 * 1024))
    response = client.post(reverse("spec_import"), {"file": upload})
    assert response.status_code == 400
    assert re.search(
        r"bomb\.docx cannot be read: it unpacks to 6\.\d MB; at most 5 MB", response.text
    )
    assert _nothing_saved()


def test_command_refuses_the_bomb(db, tmp_path, settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_MB = 5
    path = tmp_path / "bomb.docx"
    path.write_bytes(_docx(padding=6 * 1024 * 1024))
    with pytest.raises(CommandError, match=r"it unpacks to 6\.\d MB; at most 5 MB is accepted"):
        call_command("import_spec", str(path))
    assert _nothing_saved()
