import pytest
import tablib
from django.contrib.auth.models import Permission

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
