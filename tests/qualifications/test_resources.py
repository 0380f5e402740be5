import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from qualifications.models import LearningOutcome, Qualification, Unit
from qualifications.resources import (
    AssessmentCriterionResource,
    BarredCombinationResource,
    LearningOutcomeResource,
    QualificationResource,
    QualificationUnitResource,
    UnitCodeResource,
    UnitGroupResource,
    UnitResource,
)
from qualifications.spreadsheets import escape_formula, unescape_formula
from qualifications.structure import export_structure, import_structure
from tests.factories import UserFactory
from tests.qualifications.test_structure import graded_document, wipe_catalogue


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
    assert dataset.headers == ["unit", "outcome", "number", "label", "grade", "text", "guidance"]
    assert [row[5] for row in dataset] == [
        "'@SUM(A1)",
        "'-2+3",
        "'\tTabbed",
        "'\rReturned",
        "Plain text",
    ]
    assert UnitResource().export()["title"][0] == '\'=HYPERLINK("x")'


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


# ---------------------------------------------------------------- the structure in spreadsheets

# In the order a spreadsheet import must run: what a row names must be there first.
STRUCTURE_RESOURCES = [
    QualificationResource,
    UnitResource,
    UnitCodeResource,
    UnitGroupResource,
    QualificationUnitResource,
    BarredCombinationResource,
    LearningOutcomeResource,
    AssessmentCriterionResource,
]


def test_columns_use_the_structure_documents_names(db):
    assert QualificationResource().export().headers == [
        "number",
        "version",
        "centre",
        "title",
        "awarding_body",
        "level",
        "min_credits",
        "min_credits_at_level",
        "at_level",
        "grading",
        "notes",
    ]
    assert UnitGroupResource().export().headers == [
        "qualification",
        "qualification_version",
        "qualification_centre",
        "name",
        "mandatory",
        "min_units",
        "max_units",
        "min_credits",
        "max_credits",
        "position",
    ]
    assert "tqt" in UnitResource().export().headers
    assert "lineage" in UnitResource().export().headers
    assert BarredCombinationResource().export().headers == [
        "qualification",
        "qualification_version",
        "qualification_centre",
        "unit",
        "barred",
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_spreadsheet_export_imports_back_to_the_same_structure(db, file_format):
    document = graded_document()
    document["units"][0]["outcomes"][0]["criteria"][0]["guidance"] = "=SUM(A1) is not a formula"
    import_structure(document)
    before = export_structure(Qualification.objects.get())
    exported = {r: getattr(r().export(), file_format) for r in STRUCTURE_RESOURCES}
    assert "'=SUM(A1)" in AssessmentCriterionResource().export().csv

    wipe_catalogue(keep_bodies=True)
    for resource in STRUCTURE_RESOURCES:
        dataset = tablib.Dataset().load(exported[resource], format=file_format)
        result = resource().import_data(dataset, dry_run=False)
        assert not result.has_errors(), [e.error for row in result.row_errors() for e in row[1]]
        assert not result.has_validation_errors(), [r.validation_error for r in result.invalid_rows]

    assert export_structure(Qualification.objects.get()) == before


def test_spreadsheet_grading_table_is_checked(db):
    import_structure(graded_document())
    dataset = QualificationResource().export()
    row = list(dataset[0])
    row[dataset.headers.index("grading")] = '{"unit_points": {"pass": 1}}'
    dataset = tablib.Dataset(row, headers=dataset.headers)
    result = QualificationResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert result.invalid_rows[0].error_dict == {
        "grading": ["Points for a Merit unit must be a whole number ≥ 0."]
    }
    assert Qualification.objects.get().grading["unit_points"]["pass"] == 7
