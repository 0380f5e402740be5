"""Each step of the importer's pipeline on its own: normalise, segment, metadata, extract,
validate, the families' scores, the pipeline's choice, and the preview's corrections."""

import pytest

from qualifications.importer import SpecParseError, parse_spec
from qualifications.importer.edits import apply_rows, split_rows, unit_rows
from qualifications.importer.extract import Rules, read_hierarchy
from qualifications.importer.families import FAMILIES, grading_grid
from qualifications.importer.families.base import Doc
from qualifications.importer.metadata import read_metadata
from qualifications.importer.normalise import normalise_document
from qualifications.importer.results import ParsedCriterion, ParsedOutcome, ParsedUnit
from qualifications.importer.segment import segment
from qualifications.importer.validate import validate_unit
from tests.qualifications.seeds import SEEDS_DIR, needs_seeds


def _lines(text):
    return segment(normalise_document(text))


def _read(text, **rules):
    return read_hierarchy(_lines(text), Rules(**rules))


def _criteria(outcomes):
    return [(c.number, c.label, c.text) for o in outcomes for c in o.criteria]


# --------------------------------------------------------------------------- normalise, segment


def test_normalise_document_keeps_every_line():
    text = "Unit\u00a0title:\r\n\ufb01rst \u201cquoted\u201d\r\n\r\nlast"
    assert normalise_document(text) == 'Unit title:\nfirst "quoted"\n\nlast'


def test_segment_reads_pipe_and_tab_cells_and_skips_table_rules():
    lines = _lines("| LO | AC |\n|---|---|\n| 1 Know | 1.1 describe |\n\n1\tKnow\t1.1\tdescribe")
    assert [(ln.number, ln.cells, ln.in_table) for ln in lines] == [
        (1, ("LO", "AC"), True),
        (2, (), True),
        (3, ("1 Know", "1.1 describe"), True),
        (4, (), False),
        (5, ("1", "Know", "1.1", "describe"), True),
    ]


# --------------------------------------------------------------------------- metadata


def test_metadata_label_then_value_on_the_next_line_with_units():
    meta = read_metadata(
        _lines(
            "Sector subject area\n15.2 Administration\nUnit reference number\nT/505/4673\n"
            "Title\nAssist with work\nLevel:\nLevel 3\nGuided learning hours:\n24 hours\n"
            "Credit value\n3 credits\nAwarding organisation\nNCFE\n"
        )
    )
    assert (meta.code, meta.title, meta.level, meta.glh, meta.credit_value) == (
        "T/505/4673",
        "Assist with work",
        3,
        24,
        3,
    )
    assert meta.awarding_body == "NCFE"
    assert sorted(meta.lines) == list(range(1, 15))


def test_metadata_on_one_line_in_a_table_row_and_other_codes():
    meta = read_metadata(_lines("| Level | 2 |\nUnit code: FR1K 04\nGLH: 30"), scheme="SQA")
    assert (meta.level, meta.glh, meta.other_codes, meta.code) == (2, 30, {"SQA": "FR1K 04"}, "")


# --------------------------------------------------------------------------- extract


def test_criterion_3_10_is_never_read_as_3_1():
    reading = _read("3 Know\n3.1 one\n3.10 ten\n")
    assert _criteria(reading.outcomes) == [("3.1", "", "one"), ("3.10", "", "ten")]


def test_bare_numbers_wait_for_their_text_on_later_lines():
    reading = _read("1\n\nUnderstand work\n\n1.1\n\nDescribe work\n")
    assert [(o.number, o.title) for o in reading.outcomes] == [("1", "Understand work")]
    assert _criteria(reading.outcomes) == [("1.1", "", "Describe work")]


def test_lists_restarting_under_each_element_keep_their_printed_label():
    reading = _read("1 . Plan\n1. Identify\n2. Assess\n2 . Act\n1. Follow\n", restart=True)
    assert _criteria(reading.outcomes) == [
        ("1.1", "1.", "Identify"),
        ("1.2", "2.", "Assess"),
        ("2.1", "1.", "Follow"),
    ]


def test_trailing_dot_and_unit_group_item_labels():
    reading = _read("1. Plan\n1.1. Identify\n301.2.3\tRecord details\n")
    assert _criteria(reading.outcomes) == [
        ("1.1", "1.1.", "Identify"),
        ("2.3", "301.2.3", "Record details"),
    ]


def test_grades_flattened_on_one_line_are_split_banded_and_stripped_of_plts_tags():
    reading = _read("P1 describe a [IE1] M1 explain a P2 list b [SM2, SM4] D1 judge a", grades=True)
    crits = reading.outcomes[0].criteria
    assert [(c.number, c.text, c.grade, c.tags) for c in crits] == [
        ("P1", "describe a", "pass", ["IE1"]),
        ("P2", "list b", "pass", ["SM2, SM4"]),
        ("M1", "explain a", "merit", []),
        ("D1", "judge a", "distinction", []),
    ]


def test_wrapped_hyphenated_criterion_and_sub_criteria_join_the_criterion():
    reading = _read("1 Know\n1.1 Describe the organi-\nsation of work\na) at home\nb) at work\n")
    assert _criteria(reading.outcomes) == [
        ("1.1", "", "Describe the organisation of work a) at home b) at work")
    ]


def test_numbered_lines_not_taken_are_warnings_with_their_line():
    off = Rules(off=grading_grid.RULES.off)
    reading = read_hierarchy(_lines("1 Know\n1.1 Describe\n7 Stray\nRange\n1. slips\n"), off)
    assert reading.warnings == [
        (3, "'7 Stray' looks numbered but was not read"),
        (5, "'1. slips' is in a section without criteria: not read"),
    ]
    assert (reading.numbered, reading.taken) == (4, 2)


# --------------------------------------------------------------------------- validate


def _unit(*numbers, level=None, code=""):
    outcome = ParsedOutcome("1", "Know", 1)
    outcome.criteria = [
        ParsedCriterion(n, "text" if n != "1.5" else "", i) for i, n in enumerate(numbers, 2)
    ]
    return ParsedUnit(code=code, title="Work", level=level, line=1, outcomes=[outcome])


def test_validate_flags_gaps_repeats_missing_text_and_wrong_metadata():
    unit = _unit("1.1", "1.2", "1.4", "1.4", "1.5", level=12, code="BSB123")
    assert validate_unit(unit) == [
        (1, "unit 'Work': 'BSB123' is not an Ofqual unit code"),
        (1, "unit 'Work': level 12 is not plausible"),
        (4, "unit 'Work': criterion 1.4 follows 1.2 (numbering gap)"),
        (5, "unit 'Work': criterion 1.4 is repeated"),
        (6, "unit 'Work': criterion 1.5 has no text"),
    ]
    assert (unit.level, unit.code, unit.other_codes) == (None, "", {"unit code": "BSB123"})


# --------------------------------------------------------------------------- families, pipeline


def test_every_family_has_a_plain_name_and_explains_its_score():
    doc_text = "Unit 2: Fitness\nP1 describe\nM1 explain\nD1 evaluate\n"
    doc = Doc(doc_text, doc_text, _lines(doc_text))
    scores = {family.NAME: family.score(doc) for family in FAMILIES}
    assert scores["grading_grid"].reasons == [
        "pass and merit criteria P1, M1",
        "distinction criteria D1",
    ]
    assert all(family.PLAIN and family.PLAIN[0].islower() for family in FAMILIES)


def test_no_family_fits_so_the_general_reader_shows_it_with_low_confidence():
    result = parse_spec("Knowledge\nK1 the law\nK2 the policies\n")
    unit = result.units[0]
    assert (result.layout, unit.layout_name, unit.confidence) == (
        "general",
        "numbered lines only (no known layout)",
        0.4,
    )
    assert [(c.number, c.text) for c in unit.criteria] == [
        ("K1", "the law"),
        ("K2", "the policies"),
    ]


def test_grading_grid_is_named_in_plain_words_with_its_reasons():
    result = parse_spec("Unit 2: Fitness\nP1 describe\nM1 explain\nD1 evaluate\n")
    assert (result.layout_name, result.units[0].title) == ("a grading grid", "Fitness")
    assert result.reasons == ["pass and merit criteria P1, M1", "distinction criteria D1"]


@needs_seeds
def test_seed_003_handbook_parses_whole():
    # How fast is measured in bench/importer.py (ms_per_spec), not here: a timed test fails
    # on a busy machine for no fault of the code.
    text = next(SEEDS_DIR.glob("003_*.txt")).read_text(encoding="utf-8")
    result = parse_spec(text)
    assert (len(result.units), sum(u.criteria_count for u in result.units)) == (39, 535)


# --------------------------------------------------------------------------- corrections


def test_rows_split_merge_and_delete():
    rows = [
        {"outcome": "1", "number": "1.1", "text": "Describe A\n1.2 Explain B"},
        {"outcome": "1", "number": "1.3", "text": "more of B", "merge_up": True},
        {"outcome": "1", "number": "1.4", "text": "gone", "delete": True},
    ]
    assert [(r["number"], r["text"]) for r in split_rows(rows)] == [
        ("1.1", "Describe A"),
        ("1.2", "Explain B more of B"),
    ]


def test_apply_rows_keeps_guidance_by_number_and_round_trips():
    unit = parse_spec("1. Understand A\n1.1 Explain A\n1.2 Describe A\n").units[0]
    unit.outcomes[0].criteria[0].guidance = "Use examples"
    again = apply_rows(unit, unit_rows(unit))
    assert unit_rows(again) == unit_rows(unit)
    assert again.outcomes[0].criteria[0].guidance == "Use examples"
    assert again.outcomes[0].kind == "knowledge"


@pytest.mark.parametrize(
    ("text", "line"),
    [("", None), ("Dear Sir,\nThanks.\n", 1)],
)
def test_errors_name_their_line_when_the_text_has_lines(text, line):
    with pytest.raises(SpecParseError) as error:
        parse_spec(text)
    assert error.value.line == line


def test_svq_headings_stand_for_outcomes_with_their_restarting_lists():
    result = parse_spec(
        "Unit title: Lead a team\nPerformance criteria\nYou must be able to:\n1. identify members\n"
        "2. allocate work\nKnowledge and understanding\nYou need to know and understand:\n"
        "1. how to allocate work\n"
    )
    unit = result.units[0]
    assert result.layout == "sqa_cache"
    assert [(o.number, o.title) for o in unit.outcomes] == [
        ("1", "Performance criteria"),
        ("2", "Knowledge and understanding"),
    ]
    assert [(c.number, c.label, c.text) for c in unit.criteria] == [
        ("1.1", "1.", "identify members"),
        ("1.2", "2.", "allocate work"),
        ("2.1", "1.", "how to allocate work"),
    ]


def test_a_flat_numbered_list_is_read_as_criteria_not_refused():
    result = parse_spec("Things to do\n1. Greet visitors\n2. Record arrivals\n")
    assert (result.layout, result.units[0].confidence) == ("general", 0.4)
    assert [(c.number, c.label, c.text) for c in result.units[0].criteria] == [
        ("1.1", "1.", "Greet visitors"),
        ("1.2", "2.", "Record arrivals"),
    ]


def test_recording_form_with_template_unit_numbers_and_the_next_form_glued_on():
    result = parse_spec(
        "Unit 2xx Contribute to teams\nPerformance criteria\tEvidence ref\tDate\n"
        "2xx.1.1\tDescribe teams\n2xx.1.2\tExplain teams\nPerfomance critera\tEvidance ref\tDate\n"
        "2xx.2.1\tAgree roles\nAssessor signature\tDate\nUnit 2yyManage own work\n"
    )
    unit = result.units[0]
    assert (result.layout, unit.title, unit.other_codes) == (
        "recording_form",
        "Contribute to teams",
        {"City & Guilds unit": "2xx"},
    )
    assert [(c.number, c.label, c.text) for c in unit.criteria] == [
        ("1.1", "2xx.1.1", "Describe teams"),
        ("1.2", "2xx.1.2", "Explain teams"),
        ("2.1", "2xx.2.1", "Agree roles"),
    ]
    assert result.warnings == ["Line 8: the unit ends here: 'Unit 2yyManage own work' not read"]


def test_grid_row_titles_an_unnumbered_outcome():
    result = parse_spec(
        "| Outcome | Criteria |\n|---|---|\n| Understand the law | 1.1 describe the law |\n"
        "| | 1.2 explain the law |\n| Be able to comply | 2.1 follow the law |\n"
    )
    assert [(o.number, o.title) for o in result.units[0].outcomes] == [
        ("1", "Understand the law"),
        ("2", "Be able to comply"),
    ]


def test_unit_of_competency_title_line_without_a_dash():
    result = parse_spec(
        "BSBWHS211 Contribute to health and safety\nElements and Performance Criteria\n"
        "1. Plan work\n1.1. Identify hazards\n2. Do work\n2.1. Follow procedures\n"
    )
    unit = result.units[0]
    assert (unit.title, unit.other_codes) == (
        "Contribute to health and safety",
        {"training.gov.au": "BSBWHS211"},
    )


def test_mirror_numbering_elements_and_criteria_in_one_list():
    result = parse_spec(
        "http://ntisthis.com/googlelinks.php?code=DEFGEN002&s=DEF\n"
        "Elements and Performance Criteria\n1. Undertake work\n2. Accept responsibility\n"
        "3. Undertake work\n4. Implement instructions\n5. Accept responsibility\n"
        "6. Determine requirements\n"
    )
    unit = result.units[0]
    assert unit.other_codes == {"training.gov.au": "DEFGEN002"}
    assert [(o.number, o.title) for o in unit.outcomes] == [
        ("1", "Undertake work"),
        ("2", "Accept responsibility"),
    ]
    assert [(c.number, c.label, c.text) for c in unit.criteria] == [
        ("1.1", "4.", "Implement instructions"),
        ("2.1", "6.", "Determine requirements"),
    ]


def test_unnumbered_outcome_worded_like_one_titles_the_criteria_below():
    result = parse_spec(
        "Level:\nLevel 1\nUnit Learning Outcomes\n\nKnow own learning goals.\n\n"
        "Assessment Criteria\n\n  \u2022 1.1\n    Identify a goal\n\n"
        "Understand opportunities.\n\nAssessment Criteria\n  \u2022 2.1\n    Identify one\n"
    )
    assert [(o.number, o.title) for o in result.units[0].outcomes] == [
        ("1", "Know own learning goals."),
        ("2", "Understand opportunities."),
    ]


def test_cache_unit_number_is_filed_under_the_body_that_prints_it():
    result = parse_spec(
        "CACHE Level 3 Diploma\nUnit title\tUnderstand child development\nUnit number\tCYP 3.1\n"
        "Unit reference\tR/601/1693\nUnit level\t3\nUnit credit value\t4\n"
        "Unit guided learning hours\t30\nLearning outcome 1 The learner will:\n"
        "Understand the expected pattern of development\n"
        "Assessment criteria 1.1 The learner can:\nexplain the sequence of development\n"
    )
    unit = result.units[0]
    assert (unit.code, unit.level, unit.credit_value, unit.glh) == ("R/601/1693", 3, 4, 30)
    assert (unit.other_codes, unit.awarding_body) == ({"NCFE CACHE": "CYP 3.1"}, "NCFE CACHE")
    assert [(c.number, c.text) for c in unit.criteria] == [
        ("1.1", "explain the sequence of development")
    ]


def test_level_on_a_line_of_its_own_and_a_label_wins_over_it():
    lines = _lines("Unit 1: Care\nQCF Level 2: BTEC Specialist\nCredit value: 2\n")
    assert read_metadata(lines).level == 2
    assert read_metadata(_lines("Level 3\nUnit level: 2\n")).level == 2


def test_register_noise_above_the_first_outcome_and_versions_are_not_criteria():
    result = parse_spec(
        "GOV.UK\nOfqual\n15.2 Administration\nUnit reference number\nT/505/4673\nTitle\n"
        "Assist with work\nLearning Outcome - The learner will:Assessment Criterion - The "
        "learner can:\n1\n\nUnderstand work\n\n1.1\n\nDescribe work\n\nVersion\n1.0\n"
    )
    assert result.layout == "ofqual_register"
    assert [(c.number, c.text) for c in result.units[0].criteria] == [("1.1", "Describe work")]
    assert result.warnings == ["Line 3: '15.2 Administration' looks numbered but was not read"]


def test_p_codes_without_merit_or_distinction_are_not_grades():
    result = parse_spec("Standards\nP1 greet people\nP2 record details\nK1 the law\n")
    assert [(c.number, c.grade) for c in result.units[0].criteria] == [
        ("P1", ""),
        ("P2", ""),
        ("K1", ""),
    ]


BTEC_NATIONAL = """Unit 1: The Business Environment
Credit value: 10
Learning outcomes
1 Know the range of businesses
2 Understand how businesses are organised

Unit content
1 Know the range of businesses
Range of businesses: local, national
2 Understand how businesses are organised
Structures: flat, matrix

Assessment and grading criteria
To achieve a pass grade the evidence must show that the learner is able to:
P1 describe two businesses [IE4]\tM1 explain their ownership\tD1 evaluate their performance
P2 describe stakeholders [CT2]
"""


def test_grading_grid_under_an_outcome_list_keeps_outcomes_and_says_where_criteria_went():
    result = parse_spec(BTEC_NATIONAL)
    unit = result.units[0]
    assert (result.layout, unit.title, unit.credit_value) == (
        "grading_grid",
        "The Business Environment",
        10,
    )
    assert [(o.number, o.title, [c.number for c in o.criteria]) for o in unit.outcomes] == [
        ("1", "Know the range of businesses", ["P1", "P2", "M1", "D1"]),
        ("2", "Understand how businesses are organised", []),
    ]
    assert unit.outcomes[1].content == "Structures: flat, matrix"
    assert result.warnings == [
        "Line 4: the grading grid does not say which outcome each criterion belongs to; "
        "they are listed under outcome 1",
        "Line 5: unit 'The Business Environment': outcome 2 has no criteria",
    ]


def test_metadata_the_winning_reader_misses_is_read_from_labels_anywhere():
    result = parse_spec(
        "1. Understand safety\n1.1 Describe hazards\n1.2 Explain risks\n\n"
        "Unit level:\nLevel 2\nGuided learning hours:\n12 hours\n"
    )
    unit = result.units[0]
    assert (unit.level, unit.glh) == (2, 12)
