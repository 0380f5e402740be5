"""Resumable evidence uploads (tus 1.0): a dropped connection resumes where it stopped.

The uploads go through a live server with `http.client`, so the drop is a real socket closed
part-way through a PATCH body.
"""

import base64
import hashlib
import http.client
import io
import os
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from portfolios import resumable
from portfolios.models import Evidence
from tests.portfolios.helpers import add_url, evidence_data, minimal_pdf

CSRF_TOKEN = "resumableUploadTestToken0123456"[:32].ljust(32, "x")


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    settings.EVIDENCE_MAX_FILE_MB = 3
    return resumable.root()


class Tus:
    """A minimal tus client for one signed-in person, over fresh connections."""

    def __init__(self, live_server, user):
        client = Client()
        client.force_login(user)
        self.client = client
        self.address = urlsplit(live_server.url)
        self.cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
            f"{settings.CSRF_COOKIE_NAME}={CSRF_TOKEN}"
        )

    def connection(self):
        return http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=10)

    def headers(self, **extra):
        return {
            "Cookie": self.cookie,
            "X-CSRFToken": CSRF_TOKEN,
            "Tus-Resumable": "1.0.0",
            **extra,
        }

    def request(self, method, path, body=None, **headers):
        conn = self.connection()
        conn.request(method, path, body=body, headers=self.headers(**headers))
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response

    def create(self, enrolment, length, name="site visit.pdf"):
        metadata = "filename " + base64.b64encode(name.encode()).decode()
        return self.request(
            "POST",
            reverse("resumable_upload_create", args=[enrolment.pk]),
            **{"Upload-Length": str(length), "Upload-Metadata": metadata},
        )

    def offset(self, location) -> int:
        response = self.request("HEAD", location)
        assert response.status == 200
        return int(response.getheader("Upload-Offset"))

    def patch(self, location, data, at):
        return self.request(
            "PATCH",
            location,
            body=data,
            **{
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(at),
                "Content-Length": str(len(data)),
            },
        )

    def patch_then_drop(self, location, data, at, sent):
        """Declare the whole of `data`, send only `sent` bytes, then close the socket."""
        conn = self.connection()
        conn.putrequest("PATCH", location)
        for key, value in self.headers(
            **{
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(at),
                "Content-Length": str(len(data)),
            }
        ).items():
            conn.putheader(key, value)
        conn.endheaders()
        conn.send(data[:sent])
        conn.sock.close()
        conn.close()


def _wait_for_offset(tus, location, expected, seconds=10.0):
    deadline = time.monotonic() + seconds
    while (offset := tus.offset(location)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return offset


def _pdf_of(size: int) -> bytes:
    # A real PDF head (libmagic finds application/pdf) padded to the wanted size.
    head = minimal_pdf("Site visit")
    return head + os.urandom(size - len(head))


def test_dropped_upload_resumes_from_the_offset_the_server_reports(
    live_server, learner, enrolment, method, media_root, upload_dir
):
    original = _pdf_of(2 * 1024 * 1024 + 123)
    tus = Tus(live_server, learner)
    created = tus.create(enrolment, len(original))
    assert created.status == 201
    location = created.getheader("Location")
    token = created.getheader("Upload-Token")
    assert location == reverse("resumable_upload", args=[token])
    assert tus.offset(location) == 0

    sixty_percent = len(original) * 60 // 100
    tus.patch_then_drop(location, original, 0, sixty_percent)
    # The server keeps what arrived before the connection dropped, and says so.
    assert _wait_for_offset(tus, location, sixty_percent) == sixty_percent

    # Resuming from zero is refused: the server is further on.
    stale = tus.patch(location, original, 0)
    assert stale.status == 409
    assert tus.offset(location) == sixty_percent

    rest = tus.patch(location, original[sixty_percent:], sixty_percent)
    assert rest.status == 204
    assert rest.getheader("Upload-Offset") == str(len(original))
    assert rest.getheader("Upload-Complete") == "1"

    # The evidence form posts the token instead of the bytes.
    response = tus.client.post(add_url(enrolment), {**evidence_data(method), "uploaded": [token]})
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    stored = evidence.files.get()
    assert stored.name == "site visit.pdf"
    assert stored.size == len(original)
    assert stored.content_type == "application/pdf"
    assert stored.sha256 == hashlib.sha256(original).hexdigest()
    with stored.file.open("rb") as handle:
        assert handle.read() == original
    # The partial copy is gone once the evidence holds the file.
    assert not (upload_dir / token).exists()


def test_over_the_file_limit_is_refused_at_creation(live_server, learner, enrolment, upload_dir):
    tus = Tus(live_server, learner)
    response = tus.create(enrolment, 3 * 1024 * 1024 + 1)
    assert response.status == 413
    assert b"the limit is 3 MB a file" in response.body
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_patch_declaring_more_than_remains_is_refused(live_server, learner, enrolment):
    tus = Tus(live_server, learner)
    location = tus.create(enrolment, 100).getheader("Location")
    response = tus.patch(location, b"x" * 101, 0)
    assert response.status == 413
    assert tus.offset(location) == 0


def test_another_learner_cannot_see_or_continue_an_upload(
    live_server, learner, second_learner, enrolment
):
    owner = Tus(live_server, learner)
    location = owner.create(enrolment, 1000).getheader("Location")
    owner.patch(location, b"a" * 400, 0)
    other = Tus(live_server, second_learner)
    assert other.request("HEAD", location).status == 404
    assert other.patch(location, b"b" * 100, 400).status == 404
    assert owner.offset(location) == 400
    # Nor start one on someone else's enrolment.
    assert other.create(enrolment, 1000).status == 404


def test_an_unknown_token_is_not_found(live_server, learner):
    tus = Tus(live_server, learner)
    assert tus.request("HEAD", reverse("resumable_upload", args=["nope"])).status == 404


def test_disguised_type_is_refused_at_completion_with_nothing_kept(
    live_server, learner, enrolment, method, media_root, upload_dir
):
    page = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    tus = Tus(live_server, learner)
    created = tus.create(enrolment, len(page), name="report.pdf")
    location, token = created.getheader("Location"), created.getheader("Upload-Token")
    response = tus.patch(location, page, 0)
    assert response.status == 422
    assert b"report.pdf is not a kind of file evidence can be (text/html)" in response.body
    assert not (upload_dir / token).exists()
    assert tus.request("HEAD", location).status == 404
    # The token cannot be attached to evidence either.
    posted = tus.client.post(
        add_url(enrolment), {**evidence_data(method, text="Notes"), "uploaded": [token]}
    )
    assert posted.status_code == 400
    assert "A file sent ahead is no longer waiting" in posted.content.decode()
    assert Evidence.objects.count() == 0
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_an_unfinished_upload_cannot_become_evidence(live_server, learner, enrolment, method):
    tus = Tus(live_server, learner)
    created = tus.create(enrolment, 1000)
    tus.patch(created.getheader("Location"), minimal_pdf()[:500], 0)
    posted = tus.client.post(
        add_url(enrolment),
        {**evidence_data(method), "uploaded": [created.getheader("Upload-Token")]},
    )
    assert posted.status_code == 400
    assert Evidence.objects.count() == 0


def test_request_without_tus_version_is_refused(live_server, learner, enrolment):
    tus = Tus(live_server, learner)
    conn = tus.connection()
    conn.request(
        "POST",
        reverse("resumable_upload_create", args=[enrolment.pk]),
        headers={"Cookie": tus.cookie, "X-CSRFToken": CSRF_TOKEN, "Upload-Length": "10"},
    )
    response = conn.getresponse()
    assert response.status == 412
    assert response.getheader("Tus-Version") == "1.0.0"


def test_abandoned_uploads_are_purged_after_a_day(live_server, learner, enrolment, upload_dir):
    tus = Tus(live_server, learner)
    old = tus.create(enrolment, 100).getheader("Upload-Token")
    fresh = tus.create(enrolment, 100).getheader("Upload-Token")
    day_ago = time.time() - 25 * 3600
    os.utime(upload_dir / old / "data", (day_ago, day_ago))
    assert resumable.purge(older_than_seconds=24 * 3600) == 1
    assert not (upload_dir / old).exists()
    assert (upload_dir / fresh).exists()


def test_purge_command_uses_the_setting(settings, upload_dir, learner, enrolment, db):
    settings.RESUMABLE_UPLOAD_HOURS = 2
    info = resumable.create(user_id=learner.pk, enrolment_id=enrolment.pk, length=10, name="a")
    three_hours_ago = time.time() - 3 * 3600
    os.utime(upload_dir / info.token / "data", (three_hours_ago, three_hours_ago))
    out = io.StringIO()
    call_command("purge_resumable_uploads", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 unfinished upload(s) idle for 2 hour(s)."
    assert list(upload_dir.iterdir()) == []
