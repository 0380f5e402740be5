import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from qualifications.models import LearningOutcome, Unit
from qualifications.resources import AssessmentCriterionResource, UnitResource
from qualifications.spreadsheets import escape_formula, unescape_formula
from tests.factories import UserFactory


@pytest.fixture
def unit(db):
    unit = Unit.objects.create(slug="d-601-1234", code="D/601/1234", title='=HYPERLINK("x")')
    outcome = LearningOutcome.objects.create(unit=unit, number="1", title="+Understand")
    outcome.criteria.create(number="1.1", text="@SUM(A1)")
    outcome.criteria.create(number="1.2", text="-2+3")
    outcome.criteria.create(number="1.3", text="\tTabbed")
    outcome.criteria.create(number="1.4", text="\rReturned")
    outcome.criteria.create(number="1.5", text="Plain text")
    return unit


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (42, 42),
        (None, None),
    ],
)
def test_escape_formula(value, escaped):
    assert escape_formula(value) == escaped
    assert unescape_formula(escaped) == value


def test_criteria_export_escapes_every_formula_start(unit):
    dataset = AssessmentCriterionResource().export()
    assert dataset.headers == ["unit", "outcome", "number", "text", "guidance"]
    assert [row[3] for row in dataset] == [
        "'@SUM(A1)",
        "'-2+3",
        "'\tTabbed",
        "'\rReturned",
        "Plain text",
    ]
    assert UnitResource().export()[0][2] == '\'=HYPERLINK("x")'


def test_exported_csv_imports_back_unchanged(unit):
    csv_text = AssessmentCriterionResource().export().csv
    result = AssessmentCriterionResource().import_data(
        tablib.Dataset().load(csv_text, format="csv"), dry_run=False
    )
    assert not result.has_errors()
    assert sorted(unit.criteria.values_list("text", flat=True)) == sorted(
        ["@SUM(A1)", "-2+3", "\tTabbed", "\rReturned", "Plain text"]
    )


def test_import_with_unknown_outcome_reports_error_and_saves_nothing(unit):
    dataset = tablib.Dataset(headers=["unit", "outcome", "number", "text", "guidance"])
    dataset.append(["d-601-1234", "1", "1.6", "New criterion", ""])
    dataset.append(["d-601-1234", "9", "9.1", "Outcome 9 does not exist", ""])
    result = AssessmentCriterionResource().import_data(dataset, dry_run=False, raise_errors=False)
    assert result.has_errors()
    assert unit.criteria.count() == 5


def test_admin_import_needs_add_permission(client, db):
    staff = UserFactory(username="clerk", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/qualifications/unit/import/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="add_unit"))
    assert client.get("/admin/qualifications/unit/import/").status_code == 200


def test_admin_export_needs_view_permission(client, db):
    staff = UserFactory(username="clerk", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/qualifications/unit/export/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_unit"))
    response = client.get("/admin/qualifications/unit/export/")
    assert response.status_code == 200
    assert "xlsx" in response.text.lower()


# ---------------------------------------------------------------- the site admin is audited


@pytest.fixture
def superuser(db):
    return UserFactory(username="sam", is_staff=True, is_superuser=True)


def test_admin_change_of_a_unit_is_audited(client, unit, superuser):
    from audit.enums import AuditAction
    from audit.models import AuditEntry

    client.force_login(superuser)
    url = f"/admin/qualifications/unit/{unit.pk}/change/"
    page = client.get(url)
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "title": "Handle enquiries",
            "other_codes-TOTAL_FORMS": "0",
            "other_codes-INITIAL_FORMS": "0",
            "other_codes-MIN_NUM_FORMS": "0",
            "other_codes-MAX_NUM_FORMS": "1000",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action=AuditAction.CATALOGUE_CHANGED)
    assert (entry.actor, entry.object_id, entry.data) == (superuser, unit.pk, {"fields": ["title"]})
    assert entry.summary == "unit D/601/1234 Handle enquiries changed in the site admin"


def test_admin_spreadsheet_import_is_audited_row_by_row(client, unit, superuser):
    from audit.chain import verify_chain
    from audit.models import AuditEntry

    client.force_login(superuser)
    exported = AssessmentCriterionResource().export()
    rows = [row for row in exported.dict if row["text"] == "Plain text"]
    dataset = tablib.Dataset(headers=exported.headers)
    dataset.append([{**rows[0], "text": "Plainer text"}[h] for h in exported.headers])
    csv_text = dataset.csv
    upload = client.post(
        "/admin/qualifications/assessmentcriterion/import/",
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("criteria.csv", csv_text.encode(), "text/csv"),
        },
    )
    confirm = upload.context["confirm_form"]
    done = client.post(
        "/admin/qualifications/assessmentcriterion/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert done.status_code == 302
    assert unit.criteria.get(number="1.5").text == "Plainer text"
    entries = list(AuditEntry.objects.values_list("summary", flat=True))
    assert entries == [
        f"assessment criterion {unit.criteria.get(number='1.5')} update by a "
        "spreadsheet import in the site admin"
    ]
    assert verify_chain().ok
