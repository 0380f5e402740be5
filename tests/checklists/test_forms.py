"""The seed forms as printed: their headers, words and page breaks; tagged and archival PDFs."""

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from checklists.data import blank_for_qualification, blank_for_unit, curly_quotes
from checklists.enums import Layout
from checklists.pdf import render_checklist, render_checklist_archival
from qualifications.models import QualificationUnit
from tests.checklists.helpers import make_unit, pdf_text, squash

HEADER_003 = squash(
    "Centre Name: Learner Name: Notes to learners – this checklist is to be completed, to show "
    "that you have met all the mandatory and required optional units for the qualification."
)
CLOSING_003 = squash("Please ensure these forms are copied and distributed to each learner.")


def pages_text(pdf: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def qpdf_check(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [shutil.which("qpdf"), "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def pdfinfo(pdf: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [shutil.which("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    )
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    }


@pytest.fixture
def ten_criteria_unit(db):
    """A 10-criterion unit with texts of the diploma's usual length, two lines in the column."""
    unit = make_unit("T/100/0010", "Ten criteria", (4, 3, 3))
    for criterion in unit.criteria.all():
        criterion.text = (
            f"Explain the importance of keeping diary systems {criterion.number} up to date"
        )
        criterion.save()
    return unit


def test_each_achievement_unit_repeats_the_forms_header_and_closing_line(catalogue):
    document = blank_for_qualification(catalogue.qualification, Layout.ACHIEVEMENT)
    text = pdf_text(render_checklist(document))

    assert text.count(HEADER_003) == 2  # once per unit, as on paper
    assert text.count(CLOSING_003) == 2
    assert text.count("TUTORCOMMENTS:") == 2
    assert text.count("INTERNALMODERATORCOMMENTS:") == 2
    assert text.count("EXTERNALMODERATORCOMMENTS:") == 2
    head = squash(
        "Assessment Criteria Evidence (Brief description/title) Portfolio Reference "
        "Date Completed Comment"
    )
    assert text.count(head) == 2
    # The title block prints once, at the top, as the seed has it.
    assert text.startswith(
        squash("Learner Unit Achievement Checklist Level 2 Diploma in Testing 600/0001/1")
    )
    assert text.count("LearnerUnitAchievementChecklistLevel2") == 1


def test_record_form_has_five_columns_four_dates_and_its_own_words(catalogue):
    text = pdf_text(render_checklist(blank_for_unit(catalogue.units[0], Layout.OUTCOME_RECORD)))
    assert text.startswith(
        squash(
            "Learning outcomes and assessment criteria Learners can enter the types of evidence "
            "they are presenting for assessment and the submission date against each assessment "
            "criterion. Alternatively, centre documentation should be used to record this "
            "information."
        )
    )
    assert (
        squash(
            "Learning outcomes Assessment criteria Evidence type Portfolio reference Date 1 Know "
            "part 1 of greet customers 1.1 State fact 1.1 of A/100/0001"
        )
        in text
    )
    assert (
        squash(
            "Learner name: Date: Learner signature: Date: Assessor signature: Date: "
            "Internal verifier signature: (if sampled) Date:"
        )
        in text
    )


def test_blank_qualification_prints_mandatory_units_first(catalogue):
    optional = QualificationUnit.objects.get(unit=catalogue.units[1])
    mandatory = QualificationUnit.objects.get(unit=catalogue.units[0])
    optional.position, mandatory.position = 0, 1
    optional.save()
    mandatory.save()

    document = blank_for_qualification(catalogue.qualification, Layout.ACHIEVEMENT)
    assert [(u.code, u.is_mandatory) for u in document.units] == [
        ("A/100/0001", True),
        ("B/100/0002", False),
    ]
    assert [u.opens_document for u in document.units] == [True, False]


def test_quotes_print_curly_as_in_the_source(db):
    unit = make_unit("Q/100/0001", "Quotes", (1,))
    criterion = unit.criteria.get()
    criterion.text = "Define the concept 'equality and diversity' and the learner's \"needs\""
    criterion.save()
    text = pdf_text(render_checklist(blank_for_unit(unit, Layout.ACHIEVEMENT)))
    assert squash("Define the concept ‘equality and diversity’ and the learner’s “needs”") in text
    assert curly_quotes("visitors' arrivals") == "visitors’ arrivals"


@pytest.mark.parametrize("layout", list(Layout))
def test_a_blank_ten_criterion_unit_fits_one_page(layout, ten_criteria_unit):
    pdf = render_checklist(blank_for_unit(ten_criteria_unit, layout))
    pages = pages_text(pdf)
    assert len(pages) == 1
    assert "Page1of1" in pages[0]


@pytest.fixture
def two_long_units(db):
    """Two units long enough to run over pages, each outcome a run of long criteria."""
    units = []
    for code in ("L/100/0001", "L/100/0002"):
        unit = make_unit(code, f"Long unit {code[-1]}", (9, 9, 9))
        for criterion in unit.criteria.all():
            criterion.text = (
                f"Explain in your own words, with examples from your workplace, how task "
                f"{criterion.number} balances the needs of customers with the organisation's aims"
            )
            criterion.save()
        units.append(unit)
    return units


@pytest.mark.parametrize("layout", list(Layout))
def test_pages_count_within_each_unit_and_the_whole_print(layout, two_long_units):
    from checklists.data import ChecklistDocument

    first = blank_for_unit(two_long_units[0], layout)
    second = blank_for_unit(two_long_units[1], layout)
    second.units[0].opens_document = False
    document = ChecklistDocument(layout=layout, units=first.units + second.units)
    pages = pages_text(render_checklist(document))

    per_unit = {}
    for page in pages:
        unit = "L/100/0001" if "L/100/0001version1Longunit1Page" in page else "L/100/0002"
        per_unit.setdefault(unit, []).append(page)
    assert len(per_unit["L/100/0001"]) >= 2 and len(per_unit["L/100/0002"]) >= 2
    for unit_pages in per_unit.values():
        for number, page in enumerate(unit_pages, start=1):
            assert f"Page{number}of{len(unit_pages)}" in page
    for number, page in enumerate(pages, start=1):
        assert page.endswith(f"Documentpage{number}of{len(pages)}")


@pytest.mark.parametrize("layout", list(Layout))
def test_no_outcome_ends_alone_at_a_page_top_and_sign_off_stays_with_rows(layout, two_long_units):
    pages = pages_text(render_checklist(blank_for_unit(two_long_units[0], layout)))
    assert len(pages) >= 2
    for page in pages[1:]:
        # The first criterion on a continued page is never the last of its outcome alone.
        texts = [c for c in ("1.9", "2.9", "3.9") if f"task{c}" in page]
        for last in texts:
            before = f"task{last[0]}.8"
            assert before in page, (last, page[:200])
    # The sign-off blocks share their page with criteria rows.
    assert "task3.9" in pages[-1]


def test_single_unit_pdfs_are_tagged_and_merged_ones_pass_qpdf(catalogue, tmp_path):
    for layout in Layout:
        single = render_checklist(blank_for_unit(catalogue.units[0], layout))
        assert pdfinfo(single, tmp_path)["Tagged"] == "yes"
        qpdf_check(single, tmp_path)
        merged = render_checklist(blank_for_qualification(catalogue.qualification, layout))
        # pypdf does not merge structure trees: the merged print is untagged (see README).
        assert pdfinfo(merged, tmp_path)["Tagged"] == "no"
        qpdf_check(merged, tmp_path)


def test_archival_copy_is_pdf_a(catalogue, tmp_path):
    pdf = render_checklist_archival(
        blank_for_qualification(catalogue.qualification, Layout.ACHIEVEMENT)
    )
    qpdf_check(pdf, tmp_path)
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in xmp
    pages = [squash(page.extract_text()) for page in reader.pages]
    assert len(pages) == 2
    assert ["Page1of1" in page for page in pages] == [True, True]


def test_every_filled_and_cohort_pdf_passes_qpdf(
    portfolio, enrolment, catalogue, centre, centre_admin, tmp_path
):
    from checklists import services, tasks
    from portfolios.selectors import get_enrolment_for_user

    mine = get_enrolment_for_user(centre_admin, enrolment.pk)
    for layout in Layout:
        merged = services.enrolment_checklist_print(enrolment=mine, layout=layout).pdf
        qpdf_check(merged, tmp_path)
        assert pdfinfo(merged, tmp_path)["Pages"] == "2"
        single = services.enrolment_checklist_print(
            enrolment=mine, layout=layout, unit=catalogue.units[1]
        ).pdf
        qpdf_check(single, tmp_path)
        assert pdfinfo(single, tmp_path)["Tagged"] == "yes"

    cohort_print = tasks.cohort_print_start(
        centre=centre,
        qualification=catalogue.qualification,
        layout=Layout.ACHIEVEMENT,
        by=centre_admin,
    )
    with cohort_print.pdf.open("rb") as file:
        cohort = file.read()
    qpdf_check(cohort, tmp_path)
    assert pdfinfo(cohort, tmp_path)["Pages"] == str(cohort_print.pages) == "2"
