"""Bad input at the upload door: each refused with a clear message, nothing half-saved."""

import hashlib
import io

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from pypdf import PdfReader

from portfolios.models import Evidence, EvidenceFile
from portfolios.uploads import clean_display_name
from tests.portfolios.conftest import stored_files
from tests.portfolios.helpers import (
    add_url,
    evidence_data,
    minimal_pdf,
    multipart,
    png_bytes,
    upload,
)


@pytest.fixture
def alice(client, learner):
    client.force_login(learner)
    return client


def _fields(method, **extra):
    return [(k, v) for k, v in evidence_data(method, **extra).items() if k != "upload_complete"]


def test_minimal_pdf_is_a_real_pdf():
    assert len(PdfReader(io.BytesIO(minimal_pdf())).pages) == 1


def test_valid_pdf_and_png_are_stored_with_exact_sha256(alice, enrolment, method, media_root):
    pdf, png = minimal_pdf("Shift report"), png_bytes()
    response = alice.post(
        add_url(enrolment),
        evidence_data(method, files=[upload("shift report.pdf", pdf), upload("till.png", png)]),
    )
    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("evidence_map", args=[evidence.pk])
    files = {f.name: f for f in evidence.files.all()}
    assert sorted(files) == ["shift report.pdf", "till.png"]
    assert files["shift report.pdf"].sha256 == hashlib.sha256(pdf).hexdigest()
    assert files["till.png"].sha256 == hashlib.sha256(png).hexdigest()
    assert files["shift report.pdf"].content_type == "application/pdf"
    assert files["till.png"].content_type == "image/png"
    assert files["shift report.pdf"].size == len(pdf)
    # Stored under generated names, never the learner's, with the exact bytes.
    on_disk = stored_files(media_root)
    assert len(on_disk) == 2
    assert all("report" not in p.name and "till" not in p.name for p in on_disk)
    assert sorted(p.read_bytes() for p in on_disk) == sorted([pdf, png])
    assert files["till.png"].file.name.startswith("evidence/")


def test_xhr_upload_answers_json_with_the_next_page(alice, enrolment, method):
    response = alice.post(
        add_url(enrolment),
        evidence_data(method, files=[upload("a.pdf", minimal_pdf())]),
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    evidence = Evidence.objects.get()
    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("evidence_map", args=[evidence.pk])}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "report.pdf",
            b"<!doctype html><html><body><script>alert(1)</script></body></html>",
            "report.pdf is not a kind of file evidence can be (text/html)",
        ),
        (
            "setup.exe",
            b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 300,
            "setup.exe is not a kind of file evidence can be",
        ),
        (
            "photo.pdf",
            png_bytes(),
            "photo.pdf does not contain what its name says: its content is image/png",
        ),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "drawing.svg is not a kind of file evidence can be (image/svg+xml)",
        ),
        ("empty.pdf", b"", "empty.pdf is empty."),
    ],
)
def test_bad_file_is_refused_with_its_reason(
    alice, enrolment, method, media_root, name, content, message
):
    response = alice.post(
        add_url(enrolment),
        evidence_data(method, files=[upload("good.pdf", minimal_pdf()), upload(name, content)]),
    )
    assert response.status_code == 400
    assert message in response.text
    # The good file in the same post is not kept on its own either.
    assert Evidence.objects.count() == 0
    assert EvidenceFile.objects.count() == 0
    assert stored_files(media_root) == []


def test_oversized_file_is_refused(alice, enrolment, method, settings, media_root):
    settings.EVIDENCE_MAX_FILE_MB = 1
    big = minimal_pdf() + b"%" + b"0" * (1024 * 1024)
    response = alice.post(add_url(enrolment), evidence_data(method, files=[upload("big.pdf", big)]))
    assert response.status_code == 400
    assert "big.pdf is 1.0\xa0MB; the limit is 1 MB a file." in response.text
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_too_many_files_in_one_post(alice, enrolment, method, settings, media_root):
    settings.EVIDENCE_MAX_FILES_PER_POST = 2
    files = [upload(f"page{i}.txt", f"Page {i}\n".encode()) for i in range(3)]
    response = alice.post(add_url(enrolment), evidence_data(method, files=files))
    assert response.status_code == 400
    assert "You sent 3 files; at most 2 can be added at once." in response.text
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("raw_name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\alice\\Desktop\\log.pdf", "log.pdf"),
        ("rep\x00ort\x07\x1b[31m.pdf", "report[31m.pdf"),
        ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
    ],
)
def test_filename_with_path_parts_or_control_characters(
    alice, enrolment, method, media_root, raw_name, shown
):
    body, content_type = multipart(
        _fields(method), [("files", raw_name, minimal_pdf(), "application/pdf")]
    )
    response = alice.generic("POST", add_url(enrolment), body, content_type=content_type)
    assert response.status_code == 302
    stored = EvidenceFile.objects.get()
    assert stored.name == shown
    assert stored.file.name.startswith("evidence/")
    assert [p.name for p in stored_files(media_root)] == [stored.file.name.rsplit("/", 1)[-1]]


def test_clean_display_name_keeps_words_and_extension():
    assert clean_display_name("  My   witness\tstatement .pdf ") == "My witness statement .pdf"
    assert clean_display_name("\x00\x01") == "file"
    long = "a" * 300 + ".docx"
    assert clean_display_name(long) == "a" * 195 + ".docx"


def test_upload_cut_off_half_way_saves_nothing(alice, enrolment, method, media_root):
    body, content_type = multipart(
        _fields(method),
        [
            ("files", "one.pdf", minimal_pdf("One"), "application/pdf"),
            ("files", "two.pdf", minimal_pdf("Two") * 50, "application/pdf"),
        ],
    )
    cut = body[: int(len(body) * 0.8)]
    response = alice.generic("POST", add_url(enrolment), cut, content_type=content_type)
    assert response.status_code == 400
    assert "The upload was cut off before it finished, so nothing was saved." in response.text
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_connection_dropped_before_the_promised_length(alice, enrolment, method, media_root):
    body, content_type = multipart(
        _fields(method), [("files", "one.pdf", minimal_pdf("One") * 40, "application/pdf")]
    )
    cut = body[: len(body) // 2]
    response = alice.generic(
        "POST",
        add_url(enrolment),
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": io.BytesIO(cut)},
    )
    assert response.status_code == 400
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_failed_upload_leaves_earlier_evidence_untouched(
    alice, enrolment, method, evidence, media_root
):
    before = stored_files(media_root)
    response = alice.post(
        add_url(enrolment),
        evidence_data(method, files=[upload("x.pdf", b"<html></html>")]),
    )
    assert response.status_code == 400
    assert list(Evidence.objects.values_list("reference", flat=True)) == ["E001"]
    assert evidence.files.count() == 1
    assert stored_files(media_root) == before
    assert [p.read_bytes() for p in before] == [minimal_pdf("Complaint")]


def test_storage_failure_half_way_removes_what_was_stored(
    alice, enrolment, method, media_root, monkeypatch
):
    calls = []
    real_save = FileSystemStorage._save

    def failing_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(self, name, content)

    # The storage backend is outside the project: make its second write fail like a full disk.
    monkeypatch.setattr(FileSystemStorage, "_save", failing_save)
    alice.raise_request_exception = False
    response = alice.post(
        add_url(enrolment),
        evidence_data(
            method, files=[upload("one.pdf", minimal_pdf("1")), upload("two.pdf", minimal_pdf("2"))]
        ),
    )
    assert response.status_code == 500
    assert len(calls) == 2
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_forged_post_for_another_learners_enrolment_is_404(
    client, learner, other_enrolment, method, media_root
):
    client.force_login(learner)
    before = stored_files(media_root)
    response = client.post(
        add_url(other_enrolment), evidence_data(method, files=[upload("a.pdf", minimal_pdf())])
    )
    assert response.status_code == 404
    assert other_enrolment.evidence.count() == 1
    assert stored_files(media_root) == before


def test_without_any_content_the_form_says_what_is_missing(alice, enrolment, method):
    response = alice.post(add_url(enrolment), evidence_data(method))
    assert response.status_code == 400
    assert (
        "Add at least one file, a written account, or where the workplace document is kept."
        in response.text
    )


def test_workplace_reference_instead_of_upload(alice, enrolment, method):
    response = alice.post(
        add_url(enrolment),
        evidence_data(method, workplace_location="Customer records, CRM case 4411"),
    )
    assert response.status_code == 302
    assert Evidence.objects.get().workplace_location == "Customer records, CRM case 4411"


def test_a_refused_file_is_the_only_error(alice, enrolment, method, media_root):
    response = alice.post(
        add_url(enrolment),
        evidence_data(method, files=[upload("report.pdf", b"<!doctype html><p>hi</p>")]),
    )
    assert response.status_code == 400
    assert "report.pdf is not a kind of file evidence can be (text/html)" in response.text
    # Not also told to add a file: they did, and it was refused for the reason above.
    assert "Add at least one file" not in response.text
    assert Evidence.objects.count() == 0


def test_too_many_fields_get_the_400_page_naming_the_limit(
    alice, enrolment, method, settings, media_root
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    fields = _fields(method) + [(f"extra{i}", "x") for i in range(20)]
    body, content_type = multipart(fields, [("files", "a.pdf", minimal_pdf(), "application/pdf")])
    response = alice.generic("POST", add_url(enrolment), body, content_type=content_type)
    assert response.status_code == 400
    assert "The request was refused" in response.text
    assert (
        "The form sent more than 20 fields, the most one request may carry "
        "(DATA_UPLOAD_MAX_NUMBER_FIELDS)." in response.text
    )
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_too_many_files_get_the_400_page_naming_the_limit(
    alice, enrolment, method, settings, media_root
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [("files", f"p{i}.pdf", minimal_pdf(), "application/pdf") for i in range(4)]
    body, content_type = multipart(_fields(method), files)
    response = alice.generic("POST", add_url(enrolment), body, content_type=content_type)
    assert response.status_code == 400
    assert (
        "More than 3 files were sent at once, the most one request may carry "
        "(DATA_UPLOAD_MAX_NUMBER_FILES)." in response.text
    )
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_file_name_longer_than_the_column_gets_the_400_page(alice, enrolment, method, media_root):
    name = "report." + "x" * 300  # Django named its temporary file after this "extension"
    body, content_type = multipart(_fields(method), [("files", name, minimal_pdf(), "x/y")])
    response = alice.generic("POST", add_url(enrolment), body, content_type=content_type)
    assert response.status_code == 400
    assert (
        "A file&#x27;s name is longer than 255 characters, the most a file name may have. "
        "Rename the file and send it again." in response.text
    )
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_long_extension_within_the_limit_is_a_form_error(alice, enrolment, method, media_root):
    name = "report." + "x" * 240  # 247 characters: allowed, but no evidence is named so
    body, content_type = multipart(_fields(method), [("files", name, minimal_pdf(), "x/y")])
    response = alice.generic("POST", add_url(enrolment), body, content_type=content_type)
    assert response.status_code == 400
    assert "does not contain what its name says: its content is application/pdf" in (response.text)
    assert Evidence.objects.count() == 0
    assert stored_files(media_root) == []


def test_bad_request_of_another_kind_says_nothing_it_was_sent(alice, enrolment, method):
    # A multipart body with no boundary: Django refuses it; the page echoes nothing of it.
    response = alice.generic(
        "POST", add_url(enrolment), b"<script>x</script>", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "The request could not be understood." in response.text
    assert "<script>x" not in response.text


def test_downloaded_evidence_is_never_stored(alice, evidence):
    response = alice.get(reverse("evidence_file_download", args=[evidence.files.get().pk]))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_upload_script_gets_the_limit_in_a_card_it_can_show(
    alice, enrolment, method, settings, media_root
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    files = [("files", f"p{i}.pdf", minimal_pdf(), "application/pdf") for i in range(2)]
    body, content_type = multipart(_fields(method), files)
    response = alice.generic(
        "POST",
        add_url(enrolment),
        body,
        content_type=content_type,
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    card = response.text.split("data-upload-card", 1)[1]
    assert "More than 1 files were sent at once" in card
