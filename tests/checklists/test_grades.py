"""Checklists of a graded unit: criteria printed with their labels and bands, the unit's
grade on a filled checklist (a line for it on a blank one), and the specification version
the learner is on in the header."""

import pytest

from checklists.data import blank_for_unit, filled_for_enrolment
from checklists.enums import Layout
from checklists.pdf import render_checklist
from qualifications.versions import copy_unit
from tests.checklists.helpers import pdf_text, squash
from tests.graded import (
    by_label,
    decide,
    enrol,
    make_graded_qualification,
    make_graded_unit,
    submit_evidence,
)


@pytest.fixture
def graded(db):
    """A graded unit in its version 2, in a graded qualification."""
    unit = copy_unit(make_graded_unit(code="T/500/0001", title="Investigate systems"))
    return make_graded_qualification([unit]), unit


@pytest.fixture
def graded_enrolment(graded, centre, named_people, centre_admin):
    qualification, unit = graded
    learner, tutor = named_people
    enrolment = enrol(
        qualification, [unit], centre=centre, learner=learner, tutor=tutor, by=centre_admin
    )
    submit_evidence(enrolment, learner, unit.criteria.all())
    criteria = by_label(unit)
    decide(enrolment, tutor, [criteria[x] for x in ("P1", "P2", "P3", "M1", "M2")])
    return enrolment


def test_filled_data_carries_labels_bands_grade_and_versions(graded_enrolment):
    document = filled_for_enrolment(graded_enrolment, Layout.ACHIEVEMENT)
    (block,) = document.units
    rows = [(r.number, r.band, r.is_met) for o in block.outcomes for r in o.rows]
    assert rows == [
        ("P1", "Pass", True),
        ("P2", "Pass", True),
        ("M1", "Merit", True),
        ("D1", "Distinction", False),
        ("P3", "Pass", True),
        ("M2", "Merit", True),
        ("D2", "Distinction", False),
    ]
    assert (block.is_graded, block.grade, block.grade_needs) == (
        True,
        "Merit",
        "Distinction needs D1, D2",
    )
    assert (block.reference, document.qualification_reference) == (
        "T/500/0001 version 2",
        "603/0001/1 version 1",
    )


@pytest.mark.parametrize("layout", list(Layout))
def test_filled_pdf_prints_labels_bands_the_grade_and_the_version(layout, graded_enrolment):
    text = pdf_text(render_checklist(filled_for_enrolment(graded_enrolment, layout)))
    assert squash("T/500/0001 version 2 Investigate systems") in text
    assert squash("Unit grade: Merit (Distinction needs D1, D2)") in text
    assert squash("D1 (Distinction) Criterion D1 of") in text
    if layout == Layout.ACHIEVEMENT:
        assert squash("603/0001/1 version 1") in text


def test_the_assessment_layout_heads_graded_rows_with_their_label(graded_enrolment):
    text = pdf_text(
        render_checklist(filled_for_enrolment(graded_enrolment, Layout.UNIT_ASSESSMENT))
    )
    assert squash("P1 (Pass) Criterion P1 of") in text
    assert "ACP1" not in text


def test_a_grade_not_yet_reached_says_what_it_needs(graded, graded_enrolment, named_people):
    _, unit = graded
    _, tutor = named_people
    decide(graded_enrolment, tutor, [by_label(unit)["P3"]], outcome="not_yet_met")
    (block,) = filled_for_enrolment(graded_enrolment, Layout.ACHIEVEMENT).units
    assert (block.grade, block.grade_needs) == ("", "Pass needs P3")
    text = pdf_text(render_checklist(filled_for_enrolment(graded_enrolment, Layout.ACHIEVEMENT)))
    assert squash("Unit grade: not yet achieved (Pass needs P3)") in text


def test_blank_graded_unit_has_a_line_for_the_grade_and_no_learner_grade(graded):
    _, unit = graded
    document = blank_for_unit(unit, Layout.ACHIEVEMENT)
    assert document.qualification_reference == "603/0001/1 version 1"
    text = pdf_text(render_checklist(document))
    assert "Unitgrade:" in text
    assert "Merit(" not in text and "needs" not in text
    assert squash("T/500/0001 version 2 Investigate systems") in text


def test_ungraded_units_print_no_grade(catalogue, enrolment):
    document = filled_for_enrolment(enrolment, Layout.ACHIEVEMENT)
    assert not any(block.is_graded for block in document.units)
    assert "Unitgrade" not in pdf_text(render_checklist(document))


# ---------------------------------------------------------------- the EQA bundle


def _bundle(enrolment, by, **kwargs):
    import csv
    import io
    import zipfile

    from checklists.bundle import build_bundle

    archive = zipfile.ZipFile(build_bundle(enrolment, by=by, **kwargs))

    def rows(name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))

    return archive.read("README.txt").decode(), rows


def test_bundle_prints_the_version_units_and_grades(graded_enrolment, centre_admin):
    readme, rows = _bundle(graded_enrolment, centre_admin)
    assert "Specification: 603/0001/1 version 1\n" in readme
    # One Merit unit: 8 points, a pass (merit needs 23).
    assert "Qualification grade: Pass, 8 points\n" in readme
    assert "units.csv       the units with the version the learner is on, and grades" in readme
    assert rows("units.csv") == [
        {
            "Unit": "T/500/0001",
            "Title": "Investigate systems",
            "Version": "2",
            "Credits": "10",
            "Grade": "Merit",
            "Next grade needs": "Distinction needs D1, D2",
        }
    ]
    decisions = rows("decisions.csv")
    assert [(d["Criterion"], d["Printed as"], d["Grade band"]) for d in decisions] == [
        ("1.1", "P1", "Pass"),
        ("1.2", "P2", "Pass"),
        ("1.3", "M1", "Merit"),
        ("2.1", "P3", "Pass"),
        ("2.2", "M2", "Merit"),
    ]
    (item,) = rows("index.csv")
    assert item["Criteria"] == (
        "T/500/0001 P1; T/500/0001 P2; T/500/0001 M1; T/500/0001 D1; "
        "T/500/0001 P3; T/500/0001 M2; T/500/0001 D2"
    )


def test_a_bundle_of_some_units_gives_no_qualification_grade(
    graded, graded_enrolment, centre_admin
):
    _, unit = graded
    readme, rows = _bundle(graded_enrolment, centre_admin, unit_ids=[unit.pk])
    assert "Qualification grade" not in readme
    assert [r["Grade"] for r in rows("units.csv")] == ["Merit"]
    readme, rows = _bundle(graded_enrolment, centre_admin, unit_ids=[])
    assert rows("units.csv") == []


def test_a_short_course_bundle_names_its_unit_version(
    catalogue, centre, named_people, centre_admin
):
    from tests.checklists.helpers import enrol as enrol_catalogue

    learner, tutor = named_people
    short = enrol_catalogue(
        type("C", (), {"qualification": None})(),
        centre=centre,
        learner=learner,
        tutor=tutor,
        by=centre_admin,
        units=catalogue.units[:1],
    )
    readme, rows = _bundle(short, centre_admin)
    assert "Specification: short course (see units.csv for the unit's version)" in readme
    assert [(r["Unit"], r["Version"], r["Grade"]) for r in rows("units.csv")] == [
        ("A/100/0001", "1", "")
    ]
