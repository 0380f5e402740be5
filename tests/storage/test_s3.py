"""Evidence, cached checklists, cohort prints and the EQA bundle in an S3-compatible store (moto's
server on 127.0.0.1): uploads in multipart parts without the file in memory, downloads streamed or
by a signed link that lives a minute, only after the access check."""

import datetime
import hashlib
import io
import os
import time
import tracemalloc
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from checklists import services as checklist_services
from checklists import tasks as checklist_tasks
from checklists.bundle import build_bundle
from checklists.enums import CohortPrintStatus, Layout
from portfolios import services
from portfolios.models import Evidence, EvidenceFile
from portfolios.uploads import read_recent, store_upload
from tests.portfolios.helpers import add_url, evidence_data, minimal_pdf, png_bytes, upload
from tests.storage.conftest import BUCKET, stored_keys

MB = 1024 * 1024


def _sign_in(client, user):
    client.force_login(user)
    return client


def _uploaded(client, learner, enrolment, method, files):
    """Alice adds evidence through the real upload view and submits it."""
    for f in files:
        # What a browser would claim, which must not reach the store.
        f.content_type = "text/html"
    response = _sign_in(client, learner).post(
        add_url(enrolment), evidence_data(method, files=files)
    )
    assert response.status_code == 302, response.content[:2000]
    evidence = Evidence.objects.get()
    criterion = enrolment.units.order_by("pk").first().criteria.order_by("sort_key").first()
    services.evidence_set_criteria(evidence=evidence, by=learner, criteria=[criterion])
    services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    client.logout()
    return evidence


def _calls(client, operation: str) -> list:
    """Records each call of `operation` the storage's boto3 client makes."""
    seen = []
    client.meta.events.register(
        f"before-parameter-build.s3.{operation}", lambda **kwargs: seen.append(kwargs["params"])
    )
    return seen


def test_upload_through_the_view_lands_in_the_bucket_with_its_exact_bytes(
    s3, client, learner, enrolment, method
):
    pdf, png = minimal_pdf("Shift report"), png_bytes()
    evidence = _uploaded(
        client,
        learner,
        enrolment,
        method,
        [upload("shift report.pdf", pdf), upload("till.png", png)],
    )
    files = {f.name: f for f in evidence.files.all()}
    keys = stored_keys(s3)
    assert sorted(keys) == sorted(f.file.name for f in files.values())
    assert all(k.startswith("evidence/") and "report" not in k and "till" not in k for k in keys)
    for f, content in ((files["shift report.pdf"], pdf), (files["till.png"], png)):
        stored = s3.get_object(Bucket=BUCKET, Key=f.file.name)
        assert stored["Body"].read() == content
        # Not the type the browser claimed: the store never decides how a file is shown.
        assert stored["ContentType"] == "application/octet-stream"
        assert f.sha256 == hashlib.sha256(content).hexdigest()
        assert f.size == len(content)


def test_download_streams_through_the_app_to_the_learners_tutor(
    s3, client, learner, tutor, enrolment, method
):
    pdf = minimal_pdf("Complaint")
    evidence = _uploaded(client, learner, enrolment, method, [upload("complaint.pdf", pdf)])
    file = evidence.files.get()
    response = _sign_in(client, tutor).get(reverse("evidence_file_download", args=[file.pk]))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == pdf
    assert response["Content-Length"] == str(len(pdf))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="complaint.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_download_redirects_to_a_signed_link_that_lives_a_minute(
    s3, settings, client, learner, tutor, enrolment, method, s3_endpoint
):
    settings.STORAGE_DOWNLOADS = "redirect"
    pdf = minimal_pdf("Observation")
    evidence = _uploaded(client, learner, enrolment, method, [upload("Obs notes.pdf", pdf)])
    file = evidence.files.get()
    response = _sign_in(client, tutor).get(reverse("evidence_file_download", args=[file.pk]))
    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(f"{s3_endpoint}/{BUCKET}/{file.file.name}?")
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["60"]
    assert "no-store" in response["Cache-Control"]

    fetched = requests.get(link, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == pdf
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="Obs notes.pdf"'


def test_a_shorter_link_is_honoured(s3, settings, client, learner, tutor, enrolment, method):
    settings.STORAGE_DOWNLOADS = "redirect"
    settings.STORAGE_LINK_SECONDS = 15
    evidence = _uploaded(client, learner, enrolment, method, [upload("a.pdf", minimal_pdf())])
    response = _sign_in(client, tutor).get(
        reverse("evidence_file_download", args=[evidence.files.get().pk])
    )
    assert parse_qs(urlsplit(response["Location"]).query)["X-Amz-Expires"] == ["15"]


def test_previews_stream_even_when_downloads_redirect(
    s3, settings, client, learner, tutor, enrolment, method
):
    settings.STORAGE_DOWNLOADS = "redirect"
    png = png_bytes()
    evidence = _uploaded(client, learner, enrolment, method, [upload("till.png", png)])
    response = _sign_in(client, tutor).get(
        reverse("evidence_file_preview", args=[evidence.files.get().pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png
    assert response["Content-Disposition"] == 'inline; filename="till.png"'
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("mode", ["stream", "redirect"])
def test_another_tutor_and_another_centre_get_404_and_no_link(
    s3, settings, client, learner, enrolment, method, second_tutor, outsider, mode
):
    settings.STORAGE_DOWNLOADS = mode
    secret = minimal_pdf("Alice's private reflection")
    evidence = _uploaded(client, learner, enrolment, method, [upload("mine.pdf", secret)])
    url = reverse("evidence_file_download", args=[evidence.files.get().pk])
    signed = _calls(default_storage.connection.meta.client, "GetObject")
    for person in (second_tutor, outsider):
        response = _sign_in(client, person).get(url)
        assert response.status_code == 404
        assert "Location" not in response
        body = response.content
        assert b"X-Amz" not in body and secret not in body and BUCKET.encode() not in body
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert signed == []


def test_a_file_the_store_lost_is_a_404(s3, client, learner, tutor, enrolment, method):
    evidence = _uploaded(client, learner, enrolment, method, [upload("a.pdf", minimal_pdf())])
    file = evidence.files.get()
    s3.delete_object(Bucket=BUCKET, Key=file.file.name)
    response = _sign_in(client, tutor).get(reverse("evidence_file_download", args=[file.pk]))
    assert response.status_code == 404


def _temporary_upload(size: int) -> tuple[TemporaryUploadedFile, str]:
    """A PDF-named upload of `size` bytes on disk, as Django's upload handler leaves it."""
    upload_file = TemporaryUploadedFile("video.mp4", "video/mp4", size, None)
    hasher = hashlib.sha256()
    block = os.urandom(MB)
    for _ in range(size // MB):
        upload_file.write(block)
        hasher.update(block)
    upload_file.flush()
    upload_file.seek(0)
    return upload_file, hasher.hexdigest()


def test_a_large_upload_goes_in_parts_without_being_held_in_memory(s3):
    upload_file, digest = _temporary_upload(40 * MB)
    # The client's models load on first use, once a process: not part of this upload.
    default_storage.delete(default_storage.save("warm-up", io.BytesIO(b"x")))
    parts = _calls(default_storage.connection.meta.client, "UploadPart")
    try:
        tracemalloc.start()
        stored = store_upload(upload_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        upload_file.close()
    assert stored.size == 40 * MB
    assert stored.sha256 == digest
    assert sorted(p["PartNumber"] for p in parts) == [1, 2, 3, 4, 5]
    head = s3.head_object(Bucket=BUCKET, Key=stored.name)
    assert head["ContentLength"] == 40 * MB
    assert head["ETag"].strip('"').endswith("-5")  # S3 names a multipart object's parts
    # Less than one part: no part is ever held whole (about 1 MB a part in flight, two in
    # flight, and the hashing's 1 MB). boto3 given the open file instead of its path holds the
    # whole 40 MB here.
    assert peak < 6 * MB, f"peak {peak / MB:.1f} MB for a 40 MB upload in 8 MB parts"
    body = s3.get_object(Bucket=BUCKET, Key=stored.name)["Body"]
    hasher = hashlib.sha256()
    for chunk in iter(lambda: body.read(MB), b""):
        hasher.update(chunk)
    assert hasher.hexdigest() == digest


def test_checklist_cache_lives_in_the_store_and_is_read_back(
    s3, enrolment, centre_admin, learner, method
):
    first = checklist_services.enrolment_checklist_print(
        enrolment=enrolment, layout=Layout.ACHIEVEMENT
    )
    keys = stored_keys(s3)
    units = [k for k in keys if k.startswith(f"checklists/units/enrolment-{enrolment.pk}/")]
    merged = [k for k in keys if k.startswith("checklists/cache/")]
    assert len(units) == enrolment.units.count() == 3
    assert len(merged) == 1
    again = checklist_services.enrolment_checklist_print(
        enrolment=enrolment, layout=Layout.ACHIEVEMENT
    )
    assert (first.from_cache, again.from_cache) == (False, True)
    assert again.pdf == first.pdf == s3.get_object(Bucket=BUCKET, Key=merged[0])["Body"].read()

    # Unused for longer than the prune's days: every file goes, from the store too.
    report = checklist_services.checklist_cache_prune(
        days=30, now=timezone.now() + datetime.timedelta(days=31)
    )
    assert report == checklist_services.PruneReport(unit_files=3, merged=1)
    assert stored_keys(s3) == []


def test_a_cached_file_in_use_is_marked_so_once_a_day(s3):
    default_storage.save("checklists/units/blank/x.pdf", io.BytesIO(b"%PDF-1.7 cached"))
    copies = _calls(default_storage.connection.meta.client, "CopyObject")
    before = s3.head_object(Bucket=BUCKET, Key="checklists/units/blank/x.pdf")["LastModified"]
    assert read_recent("checklists/units/blank/x.pdf", fresh_for=datetime.timedelta(days=1)) == (
        b"%PDF-1.7 cached"
    )
    assert copies == []
    time.sleep(1.1)  # S3 keeps modified times to the second
    assert read_recent("checklists/units/blank/x.pdf", fresh_for=datetime.timedelta(0)) == (
        b"%PDF-1.7 cached"
    )
    assert len(copies) == 1
    after = s3.head_object(Bucket=BUCKET, Key="checklists/units/blank/x.pdf")["LastModified"]
    assert after > before
    with pytest.raises(FileNotFoundError):
        read_recent("checklists/units/blank/gone.pdf", fresh_for=datetime.timedelta(days=1))


def test_eqa_bundle_copies_the_evidence_from_the_store(
    s3, client, learner, tutor, enrolment, method
):
    pdf, png = minimal_pdf("Witness"), png_bytes()
    evidence = _uploaded(
        client, learner, enrolment, method, [upload("witness.pdf", pdf), upload("site.png", png)]
    )
    spool = build_bundle(enrolment, by=tutor)
    with zipfile.ZipFile(spool) as archive:
        assert archive.read(f"evidence/{evidence.reference}/witness.pdf") == pdf
        assert archive.read(f"evidence/{evidence.reference}/site.png") == png
        index = archive.read("index.csv").decode("utf-8-sig")
    for f in EvidenceFile.objects.all():
        assert f.sha256 in index


@pytest.mark.parametrize("mode", ["stream", "redirect"])
def test_cohort_print_is_kept_in_the_store_and_downloaded_by_the_admin_only(
    s3, settings, client, enrolment, centre_admin, tutor, outsider, catalogue, mode
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGE_DOWNLOADS = mode
    cohort_print = checklist_tasks.cohort_print_start(
        centre=enrolment.centre,
        qualification=catalogue.qualification,
        layout=Layout.ACHIEVEMENT,
        by=centre_admin,
    )
    cohort_print.refresh_from_db()
    assert cohort_print.status == CohortPrintStatus.DONE
    assert cohort_print.pdf.name == f"checklists/cohorts/cohort-{cohort_print.pk}.pdf"
    stored = s3.get_object(Bucket=BUCKET, Key=cohort_print.pdf.name)["Body"].read()
    assert stored.startswith(b"%PDF-")

    url = reverse("cohort_print_download", args=[cohort_print.pk])
    signed = _calls(default_storage.connection.meta.client, "GetObject")
    refused = _sign_in(client, outsider).get(url)
    assert refused.status_code == 404 and "Location" not in refused
    refused = _sign_in(client, tutor).get(url)
    assert refused.status_code == 403 and "Location" not in refused
    assert b"%PDF" not in refused.content
    assert signed == []
    response = _sign_in(client, centre_admin).get(url)
    if mode == "stream":
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == stored
    else:
        assert response.status_code == 302
        assert parse_qs(urlsplit(response["Location"]).query)["X-Amz-Expires"] == ["60"]
        assert requests.get(response["Location"], timeout=10).content == stored


def test_orphaned_files_in_the_store_are_found_and_removed(s3, client, learner, enrolment, method):
    evidence = _uploaded(client, learner, enrolment, method, [upload("kept.pdf", minimal_pdf())])
    orphan = store_upload(upload("lost.pdf", minimal_pdf("Lost")))
    out = io.StringIO()
    call_command("purge_orphan_evidence_files", "--delete", "--min-age-hours", "0", stdout=out)
    assert out.getvalue() == f"{orphan.name}\nRemoved 1 orphaned file(s).\n"
    assert stored_keys(s3) == [evidence.files.get().file.name]
