"""A centre admin prints a whole cohort's checklists, watches it progress, downloads the PDF."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from checklists.models import CohortPrint
from qualifications.models import EvidenceMethod
from tests.checklists.helpers import add_evidence, build_catalogue, enrol, pdf_text
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cohort(centre, centre_admin, tutor):
    # Transactional tests empty the tables between tests, data migrations' rows included.
    EvidenceMethod.objects.get_or_create(
        slug="reflective-account", defaults={"name": "Reflective account"}
    )
    catalogue = build_catalogue()
    learners = []
    for username, first, last in (("alice", "Alice", "Archer"), ("dora", "Dora", "Dunn")):
        user = UserFactory(username=username, first_name=first, last_name=last)
        MembershipFactory(user=user, centre=centre, role="learner")
        learners.append(user)
    alice_enrolment = enrol(
        catalogue, centre=centre, learner=learners[0], tutor=tutor, by=centre_admin
    )
    add_evidence(
        alice_enrolment, by=learners[0], title="Welcome desk log", criteria=catalogue.criteria(0)
    )
    enrol(catalogue, centre=centre, learner=learners[1], tutor=tutor, by=centre_admin)
    return catalogue


def _start_cohort_print(page, live_server, sign_in, password, centre):
    sign_in("carol", password)
    page.get_by_role("link", name="Print a cohort").click()
    expect(page.get_by_role("heading", name="Print a cohort's checklists")).to_be_visible()
    page.get_by_label("Qualification").select_option(
        label="600/0001/1 Level 2 Diploma in Testing (2 learners)"
    )
    page.get_by_label("Learner unit achievement checklist").check()
    page.get_by_test_id("cohort-start").click()
    expect(page).to_have_url(re.compile(r"/checklists/cohorts/\d+/$"))


def test_admin_prints_a_cohort_and_downloads_it(
    page, live_server, sign_in, password, settings, centre, cohort
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _start_cohort_print(page, live_server, sign_in, password, centre)

    progress = page.get_by_test_id("cohort-progress")
    expect(progress).to_contain_text("Ready")
    expect(progress).to_contain_text("2 of 2 learners printed")
    with page.expect_download() as download_info:
        page.get_by_test_id("cohort-download").click()
    download = download_info.value
    assert download.suggested_filename == ("achievement-600-0001-1-alpha-college-all-learners.pdf")
    with open(download.path(), "rb") as file:
        text = pdf_text(file.read())
    assert "AliceArcher" in text and "DoraDunn" in text
    assert "WelcomedesklogE001" in text


def test_progress_shows_in_the_page_while_the_worker_prints(
    page, live_server, sign_in, password, settings, centre, cohort
):
    """With the real database queue: the page polls (htmx) and changes when the worker is done.

    The worker runs here in the test's own thread (`db_worker --batch`), so nothing is left
    running afterwards.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _start_cohort_print(page, live_server, sign_in, password, centre)

    progress = page.get_by_test_id("cohort-progress")
    expect(progress).to_contain_text("Waiting to start")
    expect(progress).to_contain_text("0 of 2 learners printed")
    expect(page.get_by_test_id("cohort-download")).to_have_count(0)

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert CohortPrint.objects.get().status == "done"

    # No reload: the polling fragment replaces itself and offers the download.
    expect(progress).to_contain_text("2 of 2 learners printed", timeout=10_000)
    expect(page.get_by_test_id("cohort-download")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("cohort-download").click()
    with open(download_info.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
