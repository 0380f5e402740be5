"""Importing awarding-body specifications: the command, the service and bad input."""

import datetime
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from portfolios import services as portfolio_services
from qualifications.importer import parse_spec
from qualifications.models import AssessmentCriterion, EvidenceMethod, LearningOutcome, Unit
from qualifications.services import SpecImportError, spec_import
from tests.qualifications.seeds import SEEDS_DIR, needs_seeds

SPEC = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2
Credit value: 3
Guided learning hours: 20

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered promptly

Learning outcome 2: Be able to handle enquiries
2.1 Respond to enquiries in line with procedures
2.2 Record enquiries accurately
"""


def _counts():
    return (
        Unit.objects.count(),
        LearningOutcome.objects.count(),
        AssessmentCriterion.objects.count(),
    )


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "enquiries.txt"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_import_creates_the_unit(db, spec_file, capsys):
    call_command("import_spec", str(spec_file))
    unit = Unit.objects.get(code="D/601/1234")
    assert (unit.title, unit.level, unit.credit_value, unit.glh) == (
        "Handle customer enquiries",
        2,
        3,
        20,
    )
    assert list(unit.criteria.values_list("number", "text")) == [
        ("1.1", "Describe the organisation's procedures for handling enquiries"),
        ("1.2", "Explain why enquiries must be answered promptly"),
        ("2.1", "Respond to enquiries in line with procedures"),
        ("2.2", "Record enquiries accurately"),
    ]
    printed = capsys.readouterr().out
    assert "created: D/601/1234 Handle customer enquiries v1 (4 criteria)" in printed


def test_import_again_updates_in_place(db, spec_file):
    call_command("import_spec", str(spec_file))
    before = list(AssessmentCriterion.objects.order_by("pk").values_list("pk", "number"))
    spec_file.write_text(SPEC.replace("Record enquiries accurately", "Record enquiries fully"))
    call_command("import_spec", str(spec_file))
    after = list(AssessmentCriterion.objects.order_by("pk").values_list("pk", "number"))
    assert after == before
    assert _counts() == (1, 2, 4)
    assert AssessmentCriterion.objects.get(number="2.2").text == "Record enquiries fully"


def test_dry_run_json_prints_structure_and_saves_nothing(db, spec_file, capsys):
    call_command("import_spec", str(spec_file), "--dry-run", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["units"][0] == {
        "code": "D/601/1234",
        "other_codes": {},
        "title": "Handle customer enquiries",
        "level": 2,
        "credit_value": 3,
        "glh": 20,
        "awarding_body": "",
        "layout": "a unit specification",
        "confidence": 0.8,
        "outcomes": [
            {
                "number": "1",
                "title": "Understand how to handle enquiries",
                "criteria": [
                    {
                        "number": "1.1",
                        "label": "",
                        "text": "Describe the organisation's procedures for handling enquiries",
                        "grade": "",
                    },
                    {
                        "number": "1.2",
                        "label": "",
                        "text": "Explain why enquiries must be answered promptly",
                        "grade": "",
                    },
                ],
            },
            {
                "number": "2",
                "title": "Be able to handle enquiries",
                "criteria": [
                    {
                        "number": "2.1",
                        "label": "",
                        "text": "Respond to enquiries in line with procedures",
                        "grade": "",
                    },
                    {
                        "number": "2.2",
                        "label": "",
                        "text": "Record enquiries accurately",
                        "grade": "",
                    },
                ],
            },
        ],
    }
    assert printed["warnings"] == []
    assert _counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n\t\n", "The text is empty"),
        (bytes(range(256)) * 40, "does not look like text"),
        (
            SPEC.replace("2.2 Record", "2.1 Record").encode(),
            "2.1",
        ),
    ],
    ids=["empty", "blank", "binary", "duplicate-criterion"],
)
def test_broken_input_is_refused_and_saves_nothing(db, tmp_path, content, message):
    call_command("import_spec", _write(tmp_path, "good.txt", SPEC.encode()))
    before = _counts()
    with pytest.raises(CommandError) as error:
        call_command("import_spec", _write(tmp_path, "bad.txt", content))
    assert message in str(error.value)
    assert "Nothing was imported" in str(error.value)
    assert _counts() == before


@needs_seeds
def test_checklist_cut_off_mid_unit_is_refused(db, tmp_path):
    text = next(SEEDS_DIR.glob("003_*.txt")).read_text(encoding="utf-8")
    cut = text[: text.index("2.3 Distribute pre-event documentation")]
    with pytest.raises(CommandError) as error:
        call_command("import_spec", _write(tmp_path, "cut.txt", cut.encode()))
    assert "Line " in str(error.value)
    assert "L/506/1869" in str(error.value)
    assert _counts() == (0, 0, 0)


def test_all_files_or_none(db, tmp_path):
    good = _write(tmp_path, "good.txt", SPEC.encode())
    bad = _write(tmp_path, "bad.txt", b"")
    with pytest.raises(CommandError):
        call_command("import_spec", good, bad)
    assert _counts() == (0, 0, 0)


def test_guidance_for_an_unknown_unit_is_refused(db):
    guidance = next(SEEDS_DIR.glob("002_*.txt"), None)
    if guidance is None:
        pytest.skip("seed documents not present")
    with pytest.raises(SpecImportError) as error:
        spec_import(result=parse_spec(guidance.read_text(encoding="utf-8")))
    assert "no unit in the catalogue has these criteria" in str(error.value)
    assert _counts() == (0, 0, 0)


def test_codeless_unit_needs_a_title(db):
    text = SPEC.replace("Unit title: Handle customer enquiries\n", "").replace(
        "Unit reference: D/601/1234\n", ""
    )
    result = parse_spec(text)
    with pytest.raises(SpecImportError) as error:
        spec_import(result=result)
    assert "please give one" in str(error.value)
    report = spec_import(result=result, details={0: {"title": "Enquiries", "code": ""}})
    unit = report.units[0]
    assert (unit.title, unit.code, unit.needs_code, unit.slug) == (
        "Enquiries",
        "",
        True,
        "provisional-enquiries",
    )


def _write(tmp_path, name, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_reimport_that_removes_a_criterion_in_use_makes_version_2(
    db, spec_file, centre, learner, tutor, centre_admin
):
    call_command("import_spec", str(spec_file))
    unit = Unit.objects.get(code="D/601/1234")
    enrolment = portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[unit],
        start_date=datetime.date(2026, 9, 1),
        planned_end_date=datetime.date(2027, 7, 31),
        by=centre_admin,
    )
    portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Enquiry log",
        method=EvidenceMethod.objects.get_or_create(slug="observation")[0],
        date=datetime.date(2026, 9, 10),
        text="I logged every enquiry for a week.",
        criteria=[unit.criteria.get(number="2.2")],
    )
    before = list(AssessmentCriterion.objects.values_list("pk", "number", "text"))

    spec_file.write_text(SPEC.replace("2.2 Record enquiries accurately\n", ""))
    call_command("import_spec", str(spec_file))
    old = AssessmentCriterion.objects.filter(unit=unit).values_list("pk", "number", "text")
    assert list(old) == before
    second = Unit.objects.get(lineage=unit.lineage, version=2)
    assert list(second.criteria.values_list("number", flat=True)) == ["1.1", "1.2", "2.1"]

    # Version 2 is used by nobody: a further change is made to it in place.
    spec_file.write_text(
        SPEC.replace("2.2 Record enquiries accurately\n", "").replace(
            "1.2 Explain why", "1.2 Explain clearly why"
        )
    )
    call_command("import_spec", str(spec_file))
    assert Unit.objects.filter(lineage=unit.lineage).count() == 2
    assert second.criteria.get(number="1.2").text.startswith("Explain clearly why")
    assert unit.criteria.get(number="1.2").text.startswith("Explain why")


def test_dry_run_needs_no_database(tmp_path, spec_file):
    """A fresh checkout has no database yet: the dry run reads the document, says the catalogue
    was not consulted, and creates no database file."""
    database = tmp_path / "missing" / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(  # noqa: S603 - our own manage.py, with fixed arguments
        [sys.executable, "manage.py", "import_spec", "--dry-run", "--json", str(spec_file)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["units"][0]["code"] == "D/601/1234"
    assert done.stderr == (
        "No catalogue database here: the documents were read but not compared with the catalogue.\n"
    )
    assert not database.exists()


def test_doubtful_reading_is_not_saved_by_the_command(db, tmp_path):
    text = SPEC.replace("2.2 Record", "2.1 Record")
    with pytest.raises(CommandError) as error:
        call_command("import_spec", _write(tmp_path, "dup.txt", text.encode()))
    assert str(error.value).startswith("Nothing was imported. The reading needs a person's eye")
    assert "Line 13: criterion 2.1 appears again (first on line 12)" in str(error.value)
    assert _counts() == (0, 0, 0)
