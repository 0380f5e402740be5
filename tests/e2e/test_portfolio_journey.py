"""A learner builds part of their portfolio in the browser: upload, map, submit, see status."""

import datetime
import io
import re

import pytest
from playwright.sync_api import expect

from portfolios import services
from portfolios.models import Evidence
from qualifications.models import AssessmentCriterion, Qualification
from tests.catalogue import load_seed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)


def _pdf(text: str) -> bytes:
    from portfolios.demo import demo_pdf

    return demo_pdf(text)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def diploma_enrolment(settings, tmp_path, centre, learner, tutor, centre_admin):
    settings.MEDIA_ROOT = tmp_path / "media"
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


def _criterion(code, number):
    return AssessmentCriterion.objects.get(unit__code=code, number=number)


def test_learner_uploads_maps_submits_and_sees_status(page, sign_in, password, diploma_enrolment):
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    brand = _criterion("A/506/2130", "2.1")
    challenging = _criterion("F/506/2131", "1.3")

    sign_in("alice", password)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("My portfolio")
    page.get_by_role("link", name="Add evidence").first.click()

    # Evidence: title, method, two files at once (sent by the upload script with progress).
    page.get_by_label("Brief title").fill("Handling a brand complaint")
    page.get_by_label("Evidence method").select_option(label="Reflective account")
    page.locator("input[type=file]").set_input_files(
        [
            {"name": "complaint-log.pdf", "mimeType": "application/pdf", "buffer": _pdf("Log")},
            {"name": "counter.png", "mimeType": "image/png", "buffer": _png()},
        ]
    )
    expect(page.locator("[data-file-list] li")).to_have_count(2)
    page.get_by_role("button", name="Save and choose criteria").click()

    # Mapping: filter by words, tick criteria in two units.
    expect(
        page.get_by_role("heading", name=re.compile("Which criteria does E001 cover"))
    ).to_be_visible()
    # Units start folded (none has a tick yet); finding a criterion opens its unit.
    expect(page.locator(f"#criterion-{brand.pk}")).to_be_hidden()
    picker_filter = page.get_by_label("Find a criterion by number or words")
    picker_filter.fill("brand to an organisation")
    page.locator(f"#criterion-{brand.pk}").check()
    expect(page.locator(f"#criterion-{challenging.pk}")).to_be_hidden()
    picker_filter.fill("characteristics of challenging")
    page.locator(f"#criterion-{challenging.pk}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    picker_filter.fill("")
    page.get_by_role("button", name="Save criteria").first.click()

    # The item has both files and both criteria.
    expect(page.get_by_test_id("evidence-state")).to_have_text("Draft")
    expect(page.get_by_test_id("file-list").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("mapped-criteria")).to_contain_text("A/506/2130")
    expect(page.get_by_test_id("mapped-criteria")).to_contain_text("F/506/2131")

    # The portfolio shows the criteria as linked.
    page.get_by_role("link", name=diploma_enrolment.learner.get_full_name()).first.click()
    expect(page.get_by_test_id(f"status-{brand.pk}")).to_have_text("Evidence linked")
    expect(page.get_by_test_id(f"status-{challenging.pk}")).to_have_text("Evidence linked")

    # Submit with the declaration.
    page.get_by_role("link", name=re.compile(r"Submit evidence \(1\)")).click()
    page.get_by_label(re.compile("I declare that this evidence is my own work")).check()
    page.get_by_role("button", name="Submit for assessment").click()
    expect(page.get_by_text("1 item submitted for assessment.")).to_be_visible()
    expect(page.get_by_test_id(f"status-{brand.pk}")).to_have_text("Submitted")
    expect(page.get_by_test_id(f"status-{challenging.pk}")).to_have_text("Submitted")

    evidence = Evidence.objects.get()
    assert evidence.reference == "E001"
    assert evidence.submitted_at is not None
    assert sorted(evidence.files.values_list("name", flat=True)) == [
        "complaint-log.pdf",
        "counter.png",
    ]
    assert [m for m in console if "Content Security Policy" in m] == []


def test_refused_file_shows_the_reason_in_the_page(
    page, sign_in, password, diploma_enrolment, live_server
):
    sign_in("alice", password)
    page.goto(f"{live_server.url}/portfolios/{diploma_enrolment.pk}/evidence/add/")
    page.get_by_label("Brief title").fill("Not really a PDF")
    page.get_by_label("Evidence method").select_option(label="Reflective account")
    page.locator("input[type=file]").set_input_files(
        [
            {
                "name": "report.pdf",
                "mimeType": "application/pdf",
                "buffer": b"<html><script>x</script></html>",
            }
        ]
    )
    page.get_by_role("button", name="Save and choose criteria").click()
    expect(page.get_by_test_id("file-error")).to_contain_text(
        "report.pdf is not a kind of file evidence can be"
    )
    assert Evidence.objects.count() == 0


def test_portfolio_on_a_phone(page, sign_in, password, diploma_enrolment, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in("alice", password)
    page.goto(f"{live_server.url}/portfolios/{diploma_enrolment.pk}/")
    expect(page.get_by_test_id("overall-percent")).to_have_text("0%")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_files_can_be_dropped_onto_the_form(
    page, sign_in, password, diploma_enrolment, live_server
):
    sign_in("alice", password)
    page.goto(f"{live_server.url}/portfolios/{diploma_enrolment.pk}/evidence/add/")
    page.locator("input[type=file]").set_input_files(
        [{"name": "first.pdf", "mimeType": "application/pdf", "buffer": _pdf("First")}]
    )
    # A drop adds to what was chosen already.
    page.locator("[data-drop-zone]").evaluate(
        """zone => {
            const data = new DataTransfer();
            data.items.add(new File(["Notes from the shift"], "notes.txt", {type: "text/plain"}));
            const drop = {dataTransfer: data, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent("drop", drop));
        }"""
    )
    expect(page.locator("[data-file-list] li")).to_have_count(2)
    page.get_by_label("Brief title").fill("Dropped files")
    page.get_by_label("Evidence method").select_option(label="Reflective account")
    page.get_by_role("button", name="Save and choose criteria").click()
    expect(
        page.get_by_role("heading", name=re.compile("Which criteria does E001 cover"))
    ).to_be_visible()
    assert sorted(Evidence.objects.get().files.values_list("name", flat=True)) == [
        "first.pdf",
        "notes.txt",
    ]
