"""Capture in the browser, and a large file sent in resumable pieces through the page's script."""

import datetime
import hashlib
import os

import pytest
from playwright.sync_api import expect

from portfolios import resumable, services
from portfolios.models import Evidence
from qualifications.models import Qualification
from tests.catalogue import load_seed_catalogue
from tests.e2e.axe import AxeWatch
from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def diploma_enrolment(settings, tmp_path, centre, learner, tutor, centre_admin):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    load_seed_catalogue()
    diploma = Qualification.objects.get(number="601/3734/4")
    return services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=diploma,
        units=list(diploma.units.filter(qualification_units__group__is_mandatory=True)),
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=centre_admin,
    )


@pytest.fixture
def media_page(browser_type, browser_type_launch_args, live_server, monkeypatch):
    """A Chromium of its own with a fake camera and microphone, permission granted; its pages
    are checked with axe-core like every journey's (`tests/e2e/axe.py`)."""
    browser = browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *browser_type_launch_args["args"],
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    watch = AxeWatch(page, live_server.url)
    watch.start(monkeypatch)
    yield page
    if not page.is_closed():
        watch.check()
    monkeypatch.undo()
    context.close()
    browser.close()
    assert watch.checked, "axe-core checked no page of this journey"
    if watch.violations:
        pytest.fail(watch.report(), pytrace=False)


def _sign_in_and_open_form(page, base, enrolment, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/portfolios/{enrolment.pk}/evidence/add/")
    page.get_by_label("Brief title").fill("Greeting a customer")
    page.get_by_label("Evidence method").select_option(label="Reflective account")


@pytest.mark.parametrize(
    ("button", "finish", "prefix", "extension", "content_type"),
    [
        ("Record video", "Stop and add", "video-", ".webm", "video/webm"),
        ("Record audio", "Stop and add", "audio-", ".webm", "video/webm"),
        ("Take a photo", "Take the photo", "photo-", ".jpg", "image/jpeg"),
    ],
)
def test_learner_captures_and_it_becomes_evidence(
    media_page,
    password,
    diploma_enrolment,
    live_server,
    button,
    finish,
    prefix,
    extension,
    content_type,
):
    page = media_page
    _sign_in_and_open_form(page, live_server.url, diploma_enrolment, password)
    # Recording is available, so the camera input of the fallback is gone.
    expect(page.locator("[data-capture-fallback]")).to_have_count(0)
    page.get_by_role("button", name=button).click()
    stop = page.get_by_role("button", name=finish)
    expect(stop).to_be_visible()
    if button != "Take a photo":
        expect(page.locator("[data-capture-status]")).to_have_text("Recording…")
        page.wait_for_timeout(1500)
    else:
        page.wait_for_function("document.querySelector('[data-capture-preview]').videoWidth > 0")
    stop.click()
    expect(page.locator("[data-file-list] li")).to_have_count(1)
    expect(page.locator("[data-file-list] li")).to_contain_text(extension)
    page.get_by_role("button", name="Save and choose criteria").click()
    expect(page.get_by_role("heading", name="Which criteria does E001 cover?")).to_be_visible()
    stored = Evidence.objects.get().files.get()
    assert stored.name.startswith(prefix) and stored.name.endswith(extension)
    assert stored.content_type == content_type
    assert stored.size > 1000


def test_a_video_recorded_on_a_phone_becomes_evidence(
    media_page, password, diploma_enrolment, live_server
):
    page = media_page
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in_and_open_form(page, live_server.url, diploma_enrolment, password)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Record video").click()
    stop = page.get_by_role("button", name="Stop and add")
    expect(stop).to_be_in_viewport()
    page.wait_for_timeout(1000)
    stop.click()
    expect(page.locator("[data-file-list] li")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Save and choose criteria").click()
    expect(page.get_by_role("heading", name="Which criteria does E001 cover?")).to_be_visible()
    assert Evidence.objects.get().files.get().content_type == "video/webm"


def test_large_file_resumes_after_a_dropped_piece(
    page, sign_in, password, diploma_enrolment, live_server
):
    original = _large_pdf(7 * 1024 * 1024)
    dropped = []

    def drop_the_second_piece(route):
        # The connection fails once, mid-upload: the script asks for the offset and goes on.
        request = route.request
        if request.method == "PATCH" and request.headers["upload-offset"] != "0" and not dropped:
            dropped.append(request.headers["upload-offset"])
            route.abort("connectionreset")
            return
        route.continue_()

    page.route("**/portfolios/uploads/**", drop_the_second_piece)
    sign_in("alice", password)
    page.goto(f"{live_server.url}/portfolios/{diploma_enrolment.pk}/evidence/add/")
    page.get_by_label("Brief title").fill("Shift handbook")
    page.get_by_label("Evidence method").select_option(label="Reflective account")
    page.locator("input[type=file]").set_input_files(
        [{"name": "handbook.pdf", "mimeType": "application/pdf", "buffer": original}]
    )
    page.get_by_role("button", name="Save and choose criteria").click()
    expect(page.get_by_role("heading", name="Which criteria does E001 cover?")).to_be_visible(
        timeout=30000
    )
    assert dropped == [str(5 * 1024 * 1024)]
    stored = Evidence.objects.get().files.get()
    assert stored.name == "handbook.pdf"
    assert stored.sha256 == hashlib.sha256(original).hexdigest()
    # Nothing is left waiting once the evidence holds the file.
    assert list(resumable.root().iterdir()) == []


def _large_pdf(size: int) -> bytes:
    from portfolios.demo import demo_pdf

    head = demo_pdf("Handbook")
    return head + os.urandom(size - len(head))
