import pytest
from playwright.sync_api import expect

from portfolios.models import Enrolment
from tests.catalogue import load_seed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)

CLASS_LIST = (
    "name,email,registration_number,qualification_number,units,tutor_email,start_date,"
    "planned_end_date\n"
    "Dev Patel,dev@example.org,BI0001,601/3734/4,,bob@example.org,2026-09-01,2027-07-31\n"
    "Erin Moss,erin@example.org,BI0002,601/3734/4,,bob@example.org,2026-09-01,2027-07-31\n"
)


def test_admin_imports_a_class_list_sees_learners_and_exports(
    page, sign_in, live_server, centre_admin, tutor, password, tmp_path
):
    load_seed_catalogue()
    class_list = tmp_path / "intake.csv"
    class_list.write_text(CLASS_LIST)
    sign_in("carol", password)
    page.get_by_role("link", name="Import a class list").first.click()
    page.get_by_label("Class list").set_input_files(str(class_list))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("intake-row")).to_have_count(2)
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_text("Imported intake.csv")).to_be_visible()
    assert Enrolment.objects.filter(centre__centre_number="A0001").count() == 2
    expect(page.get_by_role("link", name="Dev Patel").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export progress (CSV)").click()
    exported = download.value.path().read_text()
    assert exported.count("dev@example.org") == 5  # one row per mandatory unit
    assert "erin@example.org" in exported
