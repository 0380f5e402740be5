"""The handbook family (the seed layouts) through the importer, and text extraction."""

import io
import re

import pytest

from qualifications.importer import (
    ParsedCriterion,
    ParsedOutcome,
    ParsedUnit,
    SpecParseError,
    criteria_match_score,
    normalise_text,
    parse_spec,
)
from qualifications.textextract import extract_text
from tests.qualifications.seeds import SEEDS_DIR as SEEDS
from tests.qualifications.seeds import needs_seeds

HANDBOOK_REFUSED = "not read as an awarding body's unit specification or checklist"


def _seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def _seed(prefix: str):
    return parse_spec(_seed_text(prefix))


def _criteria(unit: ParsedUnit) -> dict[str, str]:
    return {c.number: c.text for o in unit.outcomes for c in o.criteria}


def _counts(unit: ParsedUnit) -> list[int]:
    return [len(o.criteria) for o in unit.outcomes]


def _all_texts(result):
    """Every string the parser hands back, for the normalisation checks."""
    for unit in result.units:
        yield from (unit.code, unit.title, unit.notes, unit.assessment_guidance)
        yield from unit.other_codes.values()
        for outcome in unit.outcomes:
            yield from (outcome.title, outcome.guidance, outcome.content, *outcome.evidence_methods)
            for crit in outcome.criteria:
                yield from (crit.text, crit.guidance)


# --------------------------------------------------------------------------- the five seeds


@needs_seeds
@pytest.mark.parametrize(
    ("prefix", "layout", "counts"),
    [
        ("000", "assessment_checklist", [7, 6, 6, 4]),
        ("001", "unit_spec", [7, 6, 6, 4]),
        ("002", "guidance", [6, 4, 2, 6, 2]),
        ("004", "outcome_table", [2, 5, 1, 3, 4]),
    ],
)
def test_seed_single_unit_layout_and_counts(prefix, layout, counts):
    result = _seed(prefix)
    assert result.layout == layout
    assert len(result.units) == 1
    assert _counts(result.units[0]) == counts
    assert result.units[0].criteria_count == sum(counts)
    assert result.qualification is None


@needs_seeds
def test_seed_texts_are_normalised():
    for prefix in ("000", "001", "002", "003", "004"):
        for text in _all_texts(_seed(prefix)):
            assert "\t" not in text and "  " not in text and text == text.strip()
            assert not any(ch in text for ch in "\u2018\u2019\u201c\u201d\u00a0<>")
            assert "**" not in text and "\\_" not in text and "- transaction" not in text


@needs_seeds
def test_unit_spec_001_metadata():
    unit = _seed("001").units[0]
    assert (unit.code, unit.title, unit.level, unit.credit_value, unit.glh) == (
        "J/507/1557",
        "Customer Service Operations",
        4,
        9,
        42,
    )
    assert unit.other_codes == {"LASER": "WJE863"}
    assert unit.mandatory is None
    assert (unit.assessment_guidance, unit.additional_information) == ("", "")


@needs_seeds
def test_unit_spec_001_outcome_titles_and_kinds():
    unit = _seed("001").units[0]
    assert [(o.number, o.title, o.kind) for o in unit.outcomes] == [
        ("1", "Understand the principles underpinning customer service.", "knowledge"),
        ("2", "Understand the design of customer service procedures and processes.", "knowledge"),
        ("3", "Understand the measurement of customer service.", "knowledge"),
        ("4", "Be able to deliver customer service.", "competence"),
    ]


@needs_seeds
def test_unit_spec_001_joins_pdf_hyphenation():
    assert _criteria(_seed("001").units[0])["2.2"] == (
        "Evaluate the factors to be taken into account in the design of post-transaction "
        "procedures and processes."
    )


@needs_seeds
def test_unit_spec_001_repeated_page_header_continues_the_unit():
    result = _seed("001")
    assert len(result.units) == 1
    assert [c.number for c in result.units[0].outcomes[2].criteria] == [
        "3.1",
        "3.2",
        "3.3",
        "3.4",
        "3.5",
        "3.6",
    ]
    assert result.warnings == []


@needs_seeds
def test_assessment_checklist_000_matches_unit_spec_001():
    checklist, spec = _seed("000").units[0], _seed("001").units[0]
    assert _criteria(checklist) == _criteria(spec)
    assert [o.title for o in checklist.outcomes] == [o.title for o in spec.outcomes]
    assert _criteria(checklist)["4.4"].endswith("meet customers' expectations.")


@needs_seeds
def test_assessment_checklist_000_warns_of_missing_code_and_title():
    result = _seed("000")
    unit = result.units[0]
    assert (unit.code, unit.title) == ("", "")
    assert f"Line {unit.line}: unit has no title" in result.warnings
    assert f"Line {unit.line}: unit has no code" in result.warnings


@needs_seeds
def test_guidance_002_joins_wrapped_criteria_and_titles():
    unit = _seed("002").units[0]
    assert unit.outcomes[0].title == "Understand customer service delivery"
    assert _criteria(unit)["1.1"] == (
        "Explain the relationship between customers' needs and expectations and customer "
        "satisfaction"
    )
    assert _criteria(unit)["1.4"].endswith("with the needs of an organization")


@needs_seeds
def test_guidance_002_range_text_belongs_to_the_outcome():
    outcomes = _seed("002").units[0].outcomes
    guidance = outcomes[0].guidance
    assert "Needs" in guidance and "What the customer must have/requires." in guidance
    assert guidance.index("Needs") < guidance.index("Balancing promises")
    assert outcomes[2].guidance.splitlines()[:3] == [
        "Resources can be e.g.:",
        "- Marketing materials",
        "- Manuals*",
    ]
    assert all(not c.guidance for o in outcomes for c in o.criteria)


@needs_seeds
def test_guidance_002_evidence_methods_per_outcome():
    outcomes = _seed("002").units[0].outcomes
    assert outcomes[0].evidence_methods == [
        "Professional discussion",
        "Questioning",
        "Reflective account",
        "Marketing materials",
    ]
    assert outcomes[2].evidence_methods[:3] == [
        "Observation",
        "Witness testimony",
        "Customer records*",
    ]
    assert "Legal requirements and ethical policies*" in outcomes[4].evidence_methods


@needs_seeds
def test_guidance_002_closing_note_is_kept():
    unit = _seed("002").units[0]
    assert unit.notes.startswith("This unit is about delivering customer service on a daily basis.")
    assert "held in the workplace" in unit.notes
    assert len(unit.notes.split("\n\n")) == 2


@needs_seeds
def test_learner_checklist_003_units_and_criteria():
    result = _seed("003")
    assert result.layout == "learner_checklist"
    assert len(result.units) == 39
    assert sum(u.criteria_count for u in result.units) == 535
    assert all(u.level is None and u.credit_value is None for u in result.units)


@needs_seeds
def test_learner_checklist_003_mandatory_units():
    units = _seed("003").units
    assert [u.code for u in units if u.mandatory] == [
        "A/506/1964",
        "A/506/2130",
        "F/506/2131",
        "J/506/2132",
        "L/506/1788",
    ]
    assert all(u.mandatory is False for u in units if u.code == "L/506/1807")
    assert next(u for u in units if u.code == "A/506/2130").title == "Deliver customer service"


@needs_seeds
def test_learner_checklist_003_qualification():
    result = _seed("003")
    q = result.qualification
    assert (q.number, q.title, q.awarding_body, q.level) == (
        "601/3734/4",
        "BIIAB Level 2 Diploma in Customer Service",
        "BIIAB",
        2,
    )
    assert result.to_json()["qualification"] == {
        "number": "601/3734/4",
        "title": "BIIAB Level 2 Diploma in Customer Service",
        "awarding_body": "BIIAB",
        "level": 2,
    }


@needs_seeds
def test_learner_checklist_003_first_unit():
    unit = _seed("003").units[0]
    assert (unit.code, unit.title, unit.line) == ("L/506/1807", "Manage diary systems", 12)
    assert _counts(unit) == [4, 6]
    assert [(o.number, o.title, o.kind) for o in unit.outcomes] == [("1", "", ""), ("2", "", "")]


@needs_seeds
def test_learner_checklist_003_untitled_outcomes_give_one_warning():
    assert _seed("003").warnings == [
        "Line 12: the document gives no outcome titles; outcomes are numbered from their criteria"
    ]


@needs_seeds
def test_outcome_table_004_splits_criteria_run_together():
    criteria = _criteria(_seed("004").units[0])
    assert criteria["4.1"] == "Evaluate the culture in own organisation"
    assert criteria["4.2"] == "Identify techniques for improving motivation amongst employees"
    assert (
        criteria["1.2"]
        == "Describe customer service best practice in own sector using research techniques."
    )


@needs_seeds
def test_outcome_table_004_unit_content_per_outcome():
    outcomes = _seed("004").units[0].outcomes
    assert (
        outcomes[0].title
        == "Be able to understand customer service standards required in own organisation"
    )
    assert outcomes[1].content.startswith("Sustainable approaches for customer satisfaction:")
    assert len(outcomes[1].content.split("\n\n")) == 5
    assert outcomes[3].content.startswith("Culture: culture requirements")
    assert "Implementation plan; features" in outcomes[1].content


@needs_seeds
def test_criteria_match_score_finds_the_unit_of_a_codeless_guidance_document():
    guidance = _seed("002").units[0]
    scores = {u.code: criteria_match_score(guidance, _criteria(u)) for u in _seed("003").units}
    assert scores.pop("A/506/2130") > 0.8
    assert max(scores.values()) < 0.3


@needs_seeds
def test_criteria_match_score_same_unit_from_two_documents_is_one():
    assert criteria_match_score(_seed("000").units[0], _criteria(_seed("001").units[0])) == 1.0


# --------------------------------------------------------------------------- other awarding bodies

CITY_AND_GUILDS = """City & Guilds Level 2 Certificate in Customer Service (600/1234/5)

Unit 201 Principles of customer service
Unit reference: A/601/1234
Level: 2
Credit value: 3
Guided learning hours: 20

Unit aim
This unit introduces the principles of customer service.

Learning outcome 1: Understand customer service
Assessment criteria
The learner can:
1.1 Explain what is meant by customer service
1.2 Describe the benefits of good
customer service

Learning outcome 2: Be able to deal with customers
2.1 Greet customers
2.2 Identify customer needs

Unit 202 Communication with customers
Unit reference: F/601/5465
Level: 2
Credit value: 2
GLH: 15

LO1 Know how to communicate
AC1.1 Describe methods of communication
AC1.2. Explain the importance of listening
"""


def test_city_and_guilds_style_multi_unit_document():
    result = parse_spec(CITY_AND_GUILDS)
    first, second = result.units
    assert (first.code, first.title, first.level, first.credit_value, first.glh) == (
        "A/601/1234",
        "Principles of customer service",
        2,
        3,
        20,
    )
    assert first.other_codes == {"Unit number": "201"}
    assert first.notes == "This unit introduces the principles of customer service."
    assert _criteria(first)["1.2"] == "Describe the benefits of good customer service"
    assert [o.kind for o in first.outcomes] == ["knowledge", "competence"]
    assert (second.code, second.glh, _criteria(second)) == (
        "F/601/5465",
        15,
        {"1.1": "Describe methods of communication", "1.2": "Explain the importance of listening"},
    )
    q = result.qualification
    assert (q.number, q.awarding_body, q.level) == ("600/1234/5", "City & Guilds", 2)
    assert result.warnings == []


PEARSON_TABLE = (
    "Unit 4:\tCustomer Service in Retail\n"
    "Unit code:\tK/502/1234\n"
    "QCF Level:\t2\n"
    "Credit value:\t5\n"
    "Guided learning hours:\t40\n\n"
    "Learning outcomes and assessment criteria\n"
    "In order to pass this unit, the evidence that the learner presents for assessment needs to "
    "demonstrate that they can meet all the learning outcomes for the unit.\n"
    "Learning outcomes\tAssessment criteria\n"
    "On completion of this unit a learner should:\tThe learner can:\n"
    "1\tKnow how customer service is delivered in retail\t1.1\tdescribe retail service\n"
    "\t\t1.2\texplain the importance of product knowledge\n"
    "2\tBe able to serve customers\t2.1\tserve customers politely\tRange: face to face, phone\n"
    "\t\t2.2\tprocess a sale\n\n"
    "Assessment guidance\n"
    "Learners should be observed in the workplace.\n"
)


def test_pearson_style_table_with_range_column_and_guidance():
    unit = parse_spec(PEARSON_TABLE).units[0]
    assert (unit.code, unit.title, unit.level, unit.other_codes) == (
        "K/502/1234",
        "Customer Service in Retail",
        2,
        {"Unit number": "4"},
    )
    crit = unit.outcomes[1].criteria[0]
    assert (crit.text, crit.guidance) == ("serve customers politely", "Range: face to face, phone")
    assert unit.assessment_guidance == "Learners should be observed in the workplace."


def test_highfield_style_metadata_on_one_line():
    text = (
        "Highfield Level 2 Award in Food Safety (603/1234/X)\n"
        "Title: Food safety in catering\n"
        "Unit reference: T/123/4567\n"
        "Level: 2  Credit: 1  GLH: 8\n\n"
        "Learning outcomes (the learner will)\tAssessment criteria (the learner can)\n"
        "1. Understand food safety\t1.1. Outline the importance of food safety procedures\n"
        "\t1.2. Explain the importance of reporting hazards\n"
    )
    result = parse_spec(text)
    unit = result.units[0]
    assert (unit.title, unit.code, unit.level, unit.credit_value, unit.glh) == (
        "Food safety in catering",
        "T/123/4567",
        2,
        1,
        8,
    )
    assert list(_criteria(unit)) == ["1.1", "1.2"]
    assert result.qualification.number == "603/1234/X"


def test_ncfe_style_outcome_title_on_the_next_line_and_numbering_gap():
    text = (
        "Unit 01 Introduction to customer service (A/123/4567)\n"
        "Learning outcome 1\nThe learner will:\nUnderstand customer needs\nThe learner can:\n"
        "1.1 Describe customer needs\n"
        "Learning outcome 2\nThe learner will:\nBe able to meet customer needs\n"
        "2.1 Meet customer needs\n2.3 Check customers are satisfied\n"
    )
    result = parse_spec(text)
    unit = result.units[0]
    assert (unit.code, unit.title) == ("A/123/4567", "Introduction to customer service")
    assert [o.title for o in unit.outcomes] == [
        "Understand customer needs",
        "Be able to meet customer needs",
    ]
    assert result.warnings == [
        "Line 11: unit A/123/4567: criterion 2.3 follows 2.1 (numbering gap)"
    ]


def test_ocr_style_body_unit_number_goes_to_other_codes():
    text = (
        "Unit title:\tWorking in customer service\n"
        "OCR unit number:\t12\n"
        "Ofqual unit reference:\tM/600/1234\n"
        "Level:\t1\n\n"
        "Learning Outcomes\tAssessment Criteria\n"
        "The Learner will:\tThe Learner can:\n"
        "1 Know about customer service\t1.1 Identify who customers are\n"
        "\t1.2 Give examples of good service\n"
    )
    unit = parse_spec(text).units[0]
    assert (unit.code, unit.level, unit.other_codes) == ("M/600/1234", 1, {"OCR": "12"})
    assert unit.outcomes[0].title == "Know about customer service"


def test_pdf_export_with_columns_one_after_the_other():
    text = (
        "Unit title: Customer care\nUnit reference: R/500/1234\n\n"
        "1. Understand customer care\n\n2. Be able to give customer care\n\n"
        "1.1 Explain what customer care\nmeans\n1.2 Describe good practice\n"
        "2.1 Give good customer care 2.2 Check the customer is happy\n"
    )
    unit = parse_spec(text).units[0]
    assert _criteria(unit) == {
        "1.1": "Explain what customer care means",
        "1.2": "Describe good practice",
        "2.1": "Give good customer care",
        "2.2": "Check the customer is happy",
    }
    assert unit.outcomes[1].title == "Be able to give customer care"


def test_row_flattened_onto_one_line_is_split():
    result = parse_spec("LO1 Understand the role 1.1 Explain A thing 1.2 Describe B thing\n")
    outcome = result.units[0].outcomes[0]
    assert outcome.title == "Understand the role"
    assert [(c.number, c.text) for c in outcome.criteria] == [
        ("1.1", "Explain A thing"),
        ("1.2", "Describe B thing"),
    ]


def test_markdown_table_rows_are_read_as_cells():
    text = (
        "| Learning outcome | Assessment criteria |\n|---|---|\n"
        "| 1 Understand **safety** | 1.1 Describe hazards |\n"
    )
    outcome = parse_spec(text).units[0].outcomes[0]
    assert (outcome.title, outcome.criteria[0].text) == ("Understand safety", "Describe hazards")


def test_second_metadata_block_with_another_title_opens_a_new_unit():
    text = (
        "Unit title:\tFirst unit\nLevel:\t2\n1.\tUnderstand one.\t1.1\tExplain one.\n\n"
        "Unit title:\tSecond unit\nLevel:\t3\n1.\tUnderstand two.\t1.1\tExplain two.\n"
    )
    units = parse_spec(text).units
    assert [(u.title, u.level, _criteria(u)) for u in units] == [
        ("First unit", 2, {"1.1": "Explain one."}),
        ("Second unit", 3, {"1.1": "Explain two."}),
    ]


def test_contents_list_of_units_is_skipped():
    text = (
        "A/100/0001 Unit one\nA/100/0002 Unit two\nA/100/0003 Unit three\n\n"
        "A/100/0001 Unit one\n1.1 Explain one\n"
    )
    result = parse_spec(text)
    assert [u.code for u in result.units] == ["A/100/0001"]
    assert "Line 2: unit A/100/0002 listed without criteria: skipped" in result.warnings


def test_unplaced_text_is_a_warning_naming_its_line():
    result = parse_spec("1. Understand safety\n1.1 Describe hazards\n\n\tSome stray remark\n")
    assert "Line 4: text not placed: 'Some stray remark'" in result.warnings


def test_outcome_without_title_is_a_warning_when_others_have_titles():
    result = parse_spec("1. Understand safety\n1.1 Describe hazards\nLO2\n2.1 Use equipment\n")
    assert "Line 3: unit starting on line 1: outcome 2 has no title" in result.warnings


def test_this_unit_has_n_outcomes_is_checked():
    result = parse_spec("This unit has 3 learning outcomes.\n1. Understand A\n1.1 Explain A\n")
    assert any("says 3 outcomes but 1 were found" in w for w in result.warnings)


# --------------------------------------------------------------------------- to_json


def test_to_json_has_exactly_the_agreed_keys():
    data = parse_spec(CITY_AND_GUILDS.replace("Unit 202", "Unit 202 ")).to_json()
    assert set(data) == {"units", "warnings", "qualification"}
    unit = data["units"][0]
    assert set(unit) == {
        "code",
        "other_codes",
        "title",
        "level",
        "credit_value",
        "glh",
        "awarding_body",
        "layout",
        "confidence",
        "outcomes",
    }
    assert set(unit["outcomes"][0]) == {"number", "title", "criteria"}
    assert unit["outcomes"][0]["criteria"][0] == {
        "number": "1.1",
        "label": "",
        "text": "Explain what is meant by customer service",
        "grade": "",
    }


def test_to_json_leaves_out_an_unrecognised_qualification():
    data = parse_spec("1. Understand safety\n1.1 Describe hazards\n").to_json()
    assert set(data) == {"units", "warnings"}


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  customers\u2019\t needs \u00a0 ", "customers' needs"),
        ("\u201cquoted\u201d", '"quoted"'),
        ("\u2013 a bullet", "a bullet"),
        ("Feature \u2013 what it does", "Feature \u2013 what it does"),
        ("post- transaction", "post-transaction"),
        ("Level 2 - Award", "Level 2 - Award"),
        ("<p>1.1 Explain &amp; describe</p>", "1.1 Explain & describe"),
        ("**Be able to act**", "Be able to act"),
        ("*Culture:* staff", "Culture: staff"),
        ("customer records*, manuals*", "customer records*, manuals*"),
        ("Learner name: \\_\\_", "Learner name: __"),
        ("organization", "organization"),
    ],
)
def test_normalise_text_cleans_exports(raw, clean):
    assert normalise_text(raw) == clean


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("text", ["", "   \n\t \n"])
def test_parse_spec_refuses_empty_text(text):
    with pytest.raises(SpecParseError, match=r"^The text is empty\.$"):
        parse_spec(text)


@pytest.mark.parametrize("text", ["1.1 Explain\x00\x01", "\x01\x02\x03\x04\x05\x06" * 50 + "1.1 A"])
def test_parse_spec_refuses_binary_junk(text):
    with pytest.raises(SpecParseError, match="This does not look like text"):
        parse_spec(text)


def test_parse_spec_says_what_it_looked_for_when_nothing_is_recognised():
    with pytest.raises(SpecParseError) as error:
        parse_spec("Dear Sir,\nThank you for your letter.\n")
    assert "1.1" in str(error.value) and "LO1" in str(error.value)
    assert str(error.value).startswith("Line 1: no numbered assessment criteria in lines 1 to 3.")
    assert error.value.line == 1


def test_spec_parse_error_reads_with_its_line():
    error = SpecParseError("something is wrong", line=412)
    assert (str(error), error.message, error.line) == (
        "Line 412: something is wrong",
        "something is wrong",
        412,
    )
    assert str(SpecParseError("no line")) == "no line"
    assert isinstance(error, ValueError)


@needs_seeds
def test_learner_checklist_cut_off_in_the_last_unit():
    text = _seed_text("003")
    # Not refused: another reader shows what is there, and the preview says what is missing.
    result = parse_spec(text[: text.index("2.3 Distribute pre-event documentation")])
    assert [(u.code, u.criteria_count) for u in result.units] == [
        ("L/506/1807", 10),
        ("H/506/1814", 12),
        ("L/506/1869", 8),
    ]
    assert result.warnings[0] == (
        f"Line 182: {HANDBOOK_REFUSED}: unit L/506/1869 is cut off before its TUTOR COMMENTS "
        "block; the file ends on line 211"
    )
    assert all(u.confidence < 1 for u in result.units)


@needs_seeds
def test_learner_checklist_unit_missing_its_closing_block_mid_file():
    text = _seed_text("003")
    start = text.index("K/503/0421")
    closing = text.index("TUTOR COMMENTS", start)
    broken = text[:closing] + text[closing + len("TUTOR COMMENTS") :]
    result = parse_spec(broken)
    assert len(result.units) == 39
    assert sum(u.criteria_count for u in result.units) == 535
    assert result.warnings[0] == (
        f"Line 769: {HANDBOOK_REFUSED}: unit K/503/0421 is cut off before its TUTOR COMMENTS "
        "block; the next unit starts on line 876"
    )


@needs_seeds
def test_learner_checklist_file_ending_inside_the_only_unit():
    text = _seed_text("003")
    result = parse_spec(text[: text.index("2.4 Communicate up-to-date")])
    assert [(u.code, u.criteria_count) for u in result.units] == [("L/506/1807", 7)]
    assert result.warnings[0] == (
        f"Line 12: {HANDBOOK_REFUSED}: unit L/506/1807 is cut off: the file ends inside its "
        "criteria table (line 39)"
    )


@needs_seeds
def test_learner_checklist_unit_heading_with_no_criteria():
    text = _seed_text("003")
    start = text.index("1.1 Explain the importance of keeping diary")
    end = text.index("\tTUTOR COMMENTS", start)
    result = parse_spec(text[:start] + text[end:])
    assert len(result.units) == 38
    assert result.warnings[0].startswith(
        f"Line 12: {HANDBOOK_REFUSED}: unit L/506/1807 has no criteria"
    )


def test_document_without_numbered_criteria_is_refused_naming_its_lines():
    with pytest.raises(SpecParseError) as error:
        parse_spec("Unit title: Handle enquiries\nLevel: 2\nCredit value: 3\n")
    assert str(error.value).startswith("Line 1: no numbered assessment criteria in lines 1 to 4.")


def test_second_unit_heading_with_no_criteria_is_a_warning():
    text = "A/100/0001 Unit one\n1.1 Explain one\n\nA/100/0002 Unit two\nSome words\n"
    result = parse_spec(text)
    assert [(u.code, u.title, u.criteria_count) for u in result.units] == [
        ("A/100/0001", "Unit one", 1)
    ]
    assert result.warnings[0].startswith(f"Line 4: {HANDBOOK_REFUSED}: unit A/100/0002 has no")


def test_duplicate_criterion_is_a_warning_naming_both_lines():
    text = "Unit title: Safety\n1. Understand safety\n1.1 Describe hazards\n1.1 Describe risks\n"
    result = parse_spec(text)
    assert result.warnings == [
        f"Line 4: {HANDBOOK_REFUSED}: duplicate criterion 1.1 in unit 'Safety' (lines 3 and 4)",
        "Line 4: criterion 1.1 appears again (first on line 3)",
    ]
    assert [(c.number, c.text) for c in result.units[0].criteria] == [("1.1", "Describe hazards")]


# --------------------------------------------------------------------------- criteria_match_score


def test_criteria_match_score_handles_spelling_and_numbering_differences():
    unit = ParsedUnit(
        outcomes=[
            ParsedOutcome(
                number="1",
                title="",
                line=1,
                criteria=[
                    ParsedCriterion("1.1", "Describe the organization's behavior policy", 2),
                    ParsedCriterion("1.2", "Explain customers' needs", 3),
                ],
            )
        ]
    )
    same = {
        "AC 1.1": "Describe the organisation\u2019s behaviour policies",
        "1.2": "Explain customer needs",
    }
    assert criteria_match_score(unit, same) == 1.0
    assert criteria_match_score(unit, {"1.1": "Operate a forklift truck safely"}) == 0.0
    assert criteria_match_score(unit, {}) == 0.0
    assert 0.4 < criteria_match_score(unit, {"1.1": same["AC 1.1"]}) < 0.6


# --------------------------------------------------------------------------- extract_text


def test_extract_text_decodes_plain_text_encodings():
    assert extract_text("a.txt", "caf\u00e9".encode()) == "caf\u00e9"
    assert extract_text("a.txt", "\ufeffcaf\u00e9".encode()) == "caf\u00e9"
    assert extract_text("a.TXT", "caf\u00e9 \u2019".encode("cp1252")) == "caf\u00e9 \u2019"
    assert extract_text("a.txt", "caf\u00e9".encode("utf-16")) == "caf\u00e9"


def test_extract_text_reads_docx_paragraphs_and_tables_in_order():
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Unit title: Handle enquiries")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "1. Understand enquiries"
    table.cell(0, 1).text = "1.1 Describe procedures"
    table.cell(1, 1).text = "1.2 Explain\tpromptness"
    table.cell(0, 0).merge(table.cell(1, 0))  # the outcome spans two criteria rows
    table.cell(2, 0).text = "2. Be able to handle enquiries"
    table.cell(2, 1).text = "2.1 Respond\n2.2 Record"
    document.add_paragraph("Assessment guidance: NA")
    buffer = io.BytesIO()
    document.save(buffer)
    text = extract_text("spec.docx", buffer.getvalue())
    assert text == (
        "Unit title: Handle enquiries\n"
        "1. Understand enquiries\t1.1 Describe procedures\n"
        "\t1.2 Explain promptness\n"
        "2. Be able to handle enquiries\t2.1 Respond\n2.2 Record\n"
        "Assessment guidance: NA"
    )
    unit = parse_spec(text).units[0]
    assert list(_criteria(unit)) == ["1.1", "1.2", "2.1", "2.2"]


def _pdf_with_lines(lines: list[str]) -> bytes:
    """A minimal one-page PDF with Helvetica text, enough for pdfminer."""
    shown = " ".join(f"({line}) Tj T*" for line in lines)
    content = f"BT /F1 11 Tf 50 750 Td 14 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def test_extract_text_reads_pdf_text():
    pytest.importorskip("pdfminer")
    pdf = _pdf_with_lines(["Unit reference: R/500/1234", "1. Understand care", "1.1 Explain care"])
    unit = parse_spec(extract_text("spec.pdf", pdf)).units[0]
    assert (unit.code, _criteria(unit)) == ("R/500/1234", {"1.1": "Explain care"})


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("spec.doc", b"\xd0\xcf\x11\xe0", "cannot be read; upload a .txt, .docx or .pdf"),
        ("spec", b"text", "cannot be read"),
        ("spec.txt", b"", "the file is empty"),
        ("spec.txt", bytes(range(256)) * 40, "does not look like text"),
        ("spec.txt", b"%PDF-1.4 ...", "this is a PDF file, not plain text"),
        ("spec.docx", b"plain words", "this is not a Word .docx document"),
        ("spec.docx", b"PK\x03\x04broken zip", "damaged or not a Word or Excel file"),
        ("spec.pdf", b"PK\x03\x04", "not a PDF"),
        ("spec.pdf", b"%PDF-1.4 broken", "the PDF is damaged"),
    ],
)
def test_extract_text_refuses_unreadable_files(name, data, message):
    with pytest.raises(SpecParseError, match=re.escape(message)):
        extract_text(name, data)


def test_extract_text_refuses_pdf_without_text():
    pytest.importorskip("pdfminer")
    with pytest.raises(SpecParseError, match="scanned image"):
        extract_text("scan.pdf", _pdf_with_lines([]))


def test_sign_off_line_inside_a_section_does_not_redirect_its_text():
    text = (
        "1. Understand safety\n1.1 Describe hazards\n\n"
        "Assessment guidance:\nObserve the learner.\nDate: ____\nUse a witness statement.\n\n"
        "Unit content\n1 Understand safety\nHazards: slips, trips\nSigned: ____\nRisks: falls\n"
    )
    unit = parse_spec(text).units[0]
    assert unit.assessment_guidance == "Observe the learner.\n\nUse a witness statement."
    assert unit.notes == ""
    assert unit.outcomes[0].content == "Hazards: slips, trips\n\nRisks: falls"


@needs_seeds
def test_guidance_002_stray_number_is_a_warning_not_lost():
    assert "Line 93: '1.' looks numbered but was not read" in _seed("002").warnings
