"""The printed forms, read back as a person (and a PDF reader) would."""

import datetime
import io
import os
import re
import zoneinfo

import pytest
from pypdf import PdfReader

from checklists.data import (
    FORM_TITLES,
    ChecklistDocument,
    CriterionRow,
    OutcomeBlock,
    Signature,
    UnitBlock,
    blank_for_qualification,
    blank_for_unit,
    curly_quotes,
    filled_for_enrolment,
)
from checklists.enums import Layout
from checklists.pdf import PARALLEL_MIN_CRITERIA, render_checklist, render_units
from portfolios import services as portfolio_services
from portfolios.selectors import get_enrolment_for_user
from qualifications.models import AssessmentCriterion, LearningOutcome, Unit
from tests.checklists.helpers import pdf_text, squash

A4 = (595.28, 841.89)  # points
LEARNER_DATA = ["Alice", "Archer", "AlphaCollege", "REG-0042", "E001", "Welcomedesklog", "Bob"]
LONDON = zoneinfo.ZoneInfo("Europe/London")


def filled(enrolment, user, layout, unit=None):
    return filled_for_enrolment(get_enrolment_for_user(user, enrolment.pk), layout, unit=unit)


@pytest.mark.parametrize("layout", list(Layout))
def test_filled_checklist_prints_every_criterion_and_the_evidence(
    layout, portfolio, enrolment, catalogue, centre_admin
):
    text = pdf_text(render_checklist(filled(enrolment, centre_admin, layout)))

    for unit in catalogue.units:
        assert squash(f"{unit.code} version {unit.version} {unit.title}") in text
        for criterion in unit.criteria.all():
            assert squash(criterion.text) in text
    assert "AliceArcher" in text
    assert "AlphaCollege" in text
    if layout != Layout.UNIT_ASSESSMENT:  # the 000 form prints no portfolio references
        assert "E001,E002" in text  # both items on criterion 1.1 of the first unit
    # The draft is not part of the portfolio yet: neither its title nor its reference prints.
    assert "Unfinisheddraft" not in text
    assert "E003" not in text
    # Nothing the forms lack: no registration number, no level or criteria count line.
    assert "REG-0042" not in text and "Registration" not in text
    assert "assessmentcriteria·" not in text and "Creditvalue" not in text


def test_achievement_form_prints_titles_and_dates_completed(portfolio, enrolment, centre_admin):
    text = pdf_text(render_checklist(filled(enrolment, centre_admin, Layout.ACHIEVEMENT)))
    assert squash("Learner Unit Achievement Checklist Level 2 Diploma in Testing 600/0001/1") in (
        text
    )
    # The Evidence column gives the titles; the references have their own column.
    assert "1.1Statefact1.1ofA/100/0001WelcomedesklogDiaryreviewnotesE001,E00209/03/2026" in text
    assert "E001Welcomedesklog" not in text
    assert squash("A/100/0001 version 1 Greet customers - Mandatory Unit") in text
    assert squash("B/100/0002 version 1 Keep diaries") in text
    assert squash("B/100/0002 version 1 Keep diaries - Mandatory Unit") not in text
    # 1.1 is covered by both items: the later one's date is when it was completed.
    assert "09/03/2026" in text
    assert "03/02/2026" in text
    assert "Ifchosenforsampling" in text
    assert "INTERNALMODERATORCOMMENTS" in text and "EXTERNALMODERATORCOMMENTS" in text


def test_record_form_prints_evidence_types_and_submission_dates(portfolio, enrolment, centre_admin):
    text = pdf_text(render_checklist(filled(enrolment, centre_admin, Layout.OUTCOME_RECORD)))
    assert "Reflectiveaccount" in text
    submitted = portfolio["second"].submitted_at.astimezone(LONDON).strftime("%d/%m/%Y")
    assert submitted in text
    assert "Internalverifiersignature:(ifsampled)" in text


def test_one_unit_of_a_portfolio_prints_only_that_unit(
    portfolio, enrolment, catalogue, centre_admin
):
    unit = catalogue.units[1]
    text = pdf_text(render_checklist(filled(enrolment, centre_admin, Layout.ACHIEVEMENT, unit)))
    assert squash(f"{unit.code} version {unit.version} {unit.title}") in text
    assert squash(catalogue.units[0].title) not in text
    assert "E002" in text and "E001" not in text


@pytest.mark.parametrize("layout", list(Layout))
def test_blank_qualification_has_every_criterion_and_no_learner_data(layout, portfolio, catalogue):
    text = pdf_text(render_checklist(blank_for_qualification(catalogue.qualification, layout)))
    for unit in catalogue.units:
        for criterion in unit.criteria.all():
            assert squash(criterion.text) in text
    for data in LEARNER_DATA:
        assert data not in text
    assert "Blankformforcompletiononpaper" in text


def test_blank_unit_names_its_only_qualification(catalogue):
    document = blank_for_unit(catalogue.units[0], Layout.UNIT_ASSESSMENT)
    assert document.qualification_number == "600/0001/1"
    assert document.units[0].is_mandatory is True
    text = pdf_text(render_checklist(document))
    assert "AC1.1" in text and "AC2.2" in text
    assert "AssessmentCriteriaDateMetLO1" in text  # the seed's column order
    assert "Portfolioreference" not in text  # an option the form lacks, off by default
    assert "TutorFeedbackTutorName,SignatureandDateLearnerComment" in text


def test_pdf_is_a4_titled_in_english_with_embedded_fonts(portfolio, enrolment, centre_admin):
    document = filled(enrolment, centre_admin, Layout.ACHIEVEMENT)
    reader = PdfReader(io.BytesIO(render_checklist(document)))

    assert reader.metadata.title == document.title
    assert document.title == (
        "Learner Unit Achievement Checklist: Level 2 Diploma in Testing (Alice Archer)"
    )
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    embedded, standard = set(), set()
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            A4, abs=0.5
        )
        for name, font in page["/Resources"]["/Font"].items():
            font = font.get_object()
            if name == "/DocPage":
                # The document page number stamped by the merge: a standard PDF font.
                standard.add(str(font["/BaseFont"]))
                continue
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            embedded.add(str(font["/BaseFont"]).split("+")[-1])
    assert embedded == {"Liberation-Sans", "Liberation-Sans-Bold"}
    assert standard == {"/Helvetica"}


@pytest.fixture
def long_unit(db):
    """A unit with enough long criteria to run over several pages."""
    unit = Unit.objects.create(slug="long-unit", code="Z/999/0001", title="A long unit")
    for o in range(1, 4):
        outcome = LearningOutcome.objects.create(unit=unit, number=str(o), title=f"Outcome {o}")
        for c in range(1, 16):
            AssessmentCriterion.objects.create(
                outcome=outcome,
                number=f"{o}.{c}",
                text=f"Criterion {o}.{c}: explain in your own words how the organisation's "
                "procedures for this task balance the needs of customers with its objectives",
            )
    return unit


@pytest.mark.parametrize("layout", list(Layout))
def test_pages_repeat_headers_count_pages_and_never_split_a_row(layout, long_unit):
    reader = PdfReader(io.BytesIO(render_checklist(blank_for_unit(long_unit, layout))))
    pages = [squash(page.extract_text()) for page in reader.pages]
    total = len(pages)
    assert total >= 2

    for number, page in enumerate(pages, start=1):
        assert f"Page{number}of{total}" in page
        assert squash(FORM_TITLES[layout]) in page  # running header
        assert squash("Z/999/0001 version 1 A long unit") in page  # running footer
        if "Criterion" in page:
            # The table's head row repeats on each page the table runs over.
            assert "assessmentcriteria" in page.lower()
    for criterion in long_unit.criteria.all():
        whole_on_one_page = [p for p in pages if squash(curly_quotes(criterion.text)) in p]
        assert len(whole_on_one_page) == 1, criterion.number


def test_signatures_print_names_dates_and_times():
    """The layouts print each e-signature's name, date and time, and the moderators' decisions."""
    signed = datetime.datetime(2026, 6, 1, 13, 5, tzinfo=datetime.UTC)  # 14:05 in London
    row = CriterionRow(
        number="1.1",
        text="Greet each customer",
        decision="met",
        decided_on=datetime.date(2026, 5, 30),
        feedback="Seen twice at the desk.",
    )
    unit = UnitBlock(
        code="A/100/0001",
        title="Greet customers",
        outcomes=[OutcomeBlock(number="1", title="Know how to greet", rows=[row])],
        tutor=Signature(name="Bob Baker", signed_at=signed, comment="Unit complete."),
        learner=Signature(name="Alice Archer", signed_at=signed, comment="Thank you."),
        internal_moderator=Signature(
            name="Ivy Iqa", signed_at=signed, comment="Sampled.", outcome="Agreed"
        ),
        external_moderator=Signature(name="Eric Eqa", signed_at=signed, comment="Fine."),
    )
    for layout in Layout:
        document = ChecklistDocument(
            layout=layout, units=[unit], learner_name="Alice Archer", is_blank=False
        )
        text = pdf_text(render_checklist(document))
        assert "BobBaker" in text and "01/06/202614:05" in text, layout
        if layout == Layout.UNIT_ASSESSMENT:
            assert "Met" in text and "30/05/2026" in text and "Seentwiceatthedesk." in text
            assert "Unitcomplete." in text and "Thankyou." in text
        if layout == Layout.ACHIEVEMENT:
            assert "IvyIqa" in text and "Agreed" in text and "EricEqa" in text
            assert "Met30/05/2026" in text
        if layout == Layout.OUTCOME_RECORD:
            assert "Learnersignature:signedelectronicallybyAliceArcherDate:01/06/202614:05" in text
            assert "Internalverifiersignature:(ifsampled)signedelectronicallybyIvyIqa" in text


def test_page_count_grows_with_the_document_not_the_fonts(catalogue):
    """A sanity check on the layout: a two-unit blank form is a few pages, not dozens."""
    reader = PdfReader(
        io.BytesIO(
            render_checklist(blank_for_qualification(catalogue.qualification, Layout.ACHIEVEMENT))
        )
    )
    assert 2 <= len(reader.pages) <= 4
    assert re.search(r"Page 1 of \d", reader.pages[0].extract_text())


def test_a_correction_replaces_the_item_it_corrects(
    portfolio, enrolment, named_people, centre_admin
):
    learner, _ = named_people
    correction = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Welcome desk log, corrected",
        method=portfolio["first"].method,
        date=datetime.date(2026, 4, 1),
        text="Corrected account.",
        supersedes=portfolio["first"],
    )
    # Until the correction is submitted, the item it corrects still stands.
    draft_doc = filled(enrolment, centre_admin, Layout.ACHIEVEMENT)
    assert draft_doc.units[0].outcomes[0].rows[0].references == "E001, E002"

    portfolio_services.evidence_submit(items=[correction], by=learner, declaration_confirmed=True)
    document = filled(enrolment, centre_admin, Layout.ACHIEVEMENT)
    first_row = document.units[0].outcomes[0].rows[0]
    assert first_row.references == "E002, E004"
    assert [item.title for item in first_row.evidence] == [
        "Diary review notes",
        "Welcome desk log, corrected",
    ]
    assert "E001" not in pdf_text(render_checklist(document))


def test_a_short_course_prints_its_one_unit(catalogue, centre, named_people, centre_admin):
    learner, tutor = named_people
    enrolment = portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[catalogue.units[1]],
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 6, 30),
        by=centre_admin,
    )
    document = filled(enrolment, centre_admin, Layout.UNIT_ASSESSMENT)
    assert document.qualification_title == "Short course"
    assert [u.code for u in document.units] == ["B/100/0002"]
    assert document.units[0].is_mandatory is False
    assert document.title == "Unit Assessment Checklist: B/100/0002 Keep diaries (Alice Archer)"
    text = pdf_text(render_checklist(document))
    assert "B/100/0002version1Keepdiaries" in text


def _units_document(count: int) -> ChecklistDocument:
    """`count` blank units of 12 criteria each: enough for the forked workers."""
    units = []
    for u in range(count):
        outcome = OutcomeBlock(number="1", title=f"Know part one of unit {u}")
        outcome.rows = [CriterionRow(number=f"1.{c}", text=f"State fact {c}") for c in range(12)]
        units.append(UnitBlock(code=f"U/000/{u:04d}", title=f"Unit {u}", outcomes=[outcome]))
    units[0].opens_document = True
    return ChecklistDocument(layout=Layout.UNIT_ASSESSMENT, units=units, is_blank=True)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing is forked")
def test_forked_workers_return_each_units_pdf_in_order_and_leave_no_process():
    document = _units_document(7)
    assert sum(unit.criteria_count for unit in document.units) >= PARALLEL_MIN_CRITERIA

    pdfs = render_units([(document, i) for i in range(7)], tagged=False)

    for number, pdf in enumerate(pdfs):
        text = squash(pdf_text(pdf))
        assert f"U/000/{number:04d}" in text
        assert all(f"U/000/{other:04d}" not in text for other in range(7) if other != number)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every worker was waited for: no zombie is left


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing is forked")
def test_a_worker_that_fails_raises_in_the_caller_with_its_traceback():
    document = _units_document(7)
    document.layout = "no-such-layout"  # the worker finds no template for it

    # Met here (this process takes units too) or in the forked worker, whose traceback is raised.
    with pytest.raises((KeyError, RuntimeError), match="no-such-layout"):
        render_units([(document, i) for i in range(7)], tagged=False)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
