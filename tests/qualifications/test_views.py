import docx
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qualifications.models import AssessmentCriterion, Qualification, Unit
from tests.catalogue import load_seed_catalogue
from tests.qualifications.seeds import SEEDS_DIR, needs_seeds

SPEC = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2
Credit value: 3
Guided learning hours: 20

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered promptly
"""


@pytest.fixture
def catalogue(db):
    load_seed_catalogue()


def test_catalogue_lists_qualifications_and_standalone_units(client, learner, catalogue):
    client.force_login(learner)
    response = client.get(reverse("catalogue"))
    assert [q.number for q in response.context["qualifications"]] == ["601/3734/4"]
    assert {u.code for u in response.context["units"]} == {"J/507/1557", ""}
    assert "Import a unit specification" not in response.text


def test_catalogue_needs_sign_in(client, catalogue):
    response = client.get(reverse("catalogue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_qualification_page_groups_mandatory_and_optional(client, learner, catalogue):
    client.force_login(learner)
    diploma = Qualification.objects.get(number="601/3734/4")
    response = client.get(diploma.get_absolute_url())
    groups = {group.name: len(rows) for group, rows in response.context["groups"]}
    assert groups == {"Mandatory units": 5, "Optional units": 34}
    assert response.context["criteria_total"] == 535


def test_qualification_page_queries_do_not_grow_with_units(
    client, learner, catalogue, django_assert_max_num_queries
):
    client.force_login(learner)
    diploma = Qualification.objects.get(number="601/3734/4")
    with django_assert_max_num_queries(9):
        client.get(diploma.get_absolute_url())


def test_unit_page_shows_outcomes_criteria_guidance(client, learner, catalogue):
    client.force_login(learner)
    unit = Unit.objects.get(code="A/506/2130")
    response = client.get(unit.get_absolute_url())
    assert response.status_code == 200
    assert "Explain the relationship between customers&#x27; needs" in response.text
    assert "What the customer must have/requires." in response.text
    assert "Evidence may be supplied by" in response.text


def test_unit_page_unknown_is_404(client, learner, catalogue):
    client.force_login(learner)
    assert client.get(reverse("unit_detail", args=["no-such-unit"])).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("L/506/1807", {"L/506/1807"}),
        ("WJE863", {"J/507/1557"}),
        ("diary", {"L/506/1807"}),
        ("market segmentation", {"J/507/1557"}),
    ],
)
def test_search_by_code_title_or_criterion(client, learner, catalogue, query, expected):
    client.force_login(learner)
    response = client.get(reverse("catalogue"), {"q": query})
    assert {u.code for u in response.context["results"]} == expected


def test_import_page_refused_to_learner(client, learner):
    client.force_login(learner)
    assert client.get(reverse("spec_import")).status_code == 403
    response = client.post(reverse("spec_import"), {"text": SPEC})
    assert response.status_code == 403
    assert not Unit.objects.exists()


def test_import_page_anonymous_redirects(client, db):
    response = client.post(reverse("spec_import"), {"text": SPEC})
    assert response.status_code == 302
    assert not Unit.objects.exists()


def test_admin_pastes_previews_then_saves(client, centre_admin):
    client.force_login(centre_admin)
    preview = client.post(reverse("spec_import"), {"text": SPEC})
    assert preview.status_code == 200
    assert "D/601/1234" in preview.text and "new unit" in preview.text
    assert not Unit.objects.exists()  # the preview saves nothing

    saved = client.post(
        reverse("spec_import"),
        {"source_text": SPEC, "confirm": "1", "unit-0-title": "", "unit-0-code": ""},
    )
    unit = Unit.objects.get(code="D/601/1234")
    assert saved.url == unit.get_absolute_url()
    assert unit.criteria.count() == 2


def test_preview_asks_for_missing_title(client, centre_admin):
    client.force_login(centre_admin)
    text = SPEC.replace("Unit title: Handle customer enquiries\n", "").replace(
        "Unit reference: D/601/1234\n", ""
    )
    client.post(reverse("spec_import"), {"text": text})
    missing = client.post(
        reverse("spec_import"),
        {"source_text": text, "confirm": "1", "unit-0-title": "", "unit-0-code": ""},
    )
    assert missing.status_code == 400
    assert "This field is required" in missing.text
    assert not Unit.objects.exists()
    client.post(
        reverse("spec_import"),
        {
            "source_text": text,
            "confirm": "1",
            "unit-0-title": "Enquiries",
            "unit-0-code": "D/601/1234",
        },
    )
    unit = Unit.objects.get(code="D/601/1234")
    assert (unit.title, unit.title_is_provisional) == ("Enquiries", True)


def test_repeated_criterion_is_shown_in_doubt_and_not_saved_unchecked(client, centre_admin):
    client.force_login(centre_admin)
    text = SPEC + "1.2 Explain it twice\n"
    response = client.post(reverse("spec_import"), {"text": text})
    assert response.status_code == 200
    assert "Line 10: criterion 1.2 appears again (first on line 9)" in response.text
    assert 'data-testid="import-doubts"' in response.text
    confirmed = client.post(
        reverse("spec_import"),
        {"source_text": text, "confirm": "1", "unit-0-title": "", "unit-0-code": ""},
    )
    assert confirmed.status_code == 400
    assert "the reading is in doubt" in confirmed.text
    assert not AssessmentCriterion.objects.exists()


def test_text_without_criteria_names_the_problem_and_saves_nothing(client, centre_admin):
    client.force_login(centre_admin)
    response = client.post(reverse("spec_import"), {"text": "Dear Sir,\nThank you.\n"})
    assert response.status_code == 400
    assert "Nothing was imported. Line 1: no numbered assessment criteria" in response.text
    assert not AssessmentCriterion.objects.exists()


def _rows(rows, prefix="unit-0-rows", initial=None):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows) if initial is None else initial),
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def test_preview_shows_rows_layout_and_confidence(client, centre_admin):
    client.force_login(centre_admin)
    response = client.post(reverse("spec_import"), {"text": SPEC})
    formset = response.context["units"][0][2]
    assert [f.initial for f in formset.forms[:2]] == [
        {
            "outcome": "1",
            "outcome_title": "Understand how to handle enquiries",
            "number": "1.1",
            "label": "",
            "text": "Describe the organisation's procedures for handling enquiries",
            "grade": "",
        },
        {
            "outcome": "1",
            "outcome_title": "Understand how to handle enquiries",
            "number": "1.2",
            "label": "",
            "text": "Explain why enquiries must be answered promptly",
            "grade": "",
        },
    ]
    assert "read as a unit specification, 80% sure" in response.text
    assert "js/import-preview.js" in response.text
    assert "<script>" not in response.text and 'style="' not in response.text


def test_admin_edits_splits_merges_and_deletes_rows_then_saves(client, centre_admin):
    client.force_login(centre_admin)
    outcome = {"outcome": "1", "outcome_title": "Understand how to handle enquiries"}
    data = {
        "source_text": SPEC,
        "confirm": "1",
        "unit-0-title": "",
        "unit-0-code": "",
        "unit-0-level": "",
        **_rows(
            [
                {
                    **outcome,
                    "number": "1.1",
                    "text": "Describe the procedures\n1.2 Explain why enquiries matter",
                },
                {**outcome, "number": "1.3", "text": "promptly", "merge_up": "on"},
                {**outcome, "number": "1.4", "text": "A stray line", "DELETE": "on"},
                {
                    "outcome": "2",
                    "outcome_title": "Be able to reply",
                    "number": "2.1",
                    "text": "Reply to an enquiry",
                },
            ]
        ),
    }
    response = client.post(reverse("spec_import"), data)
    unit = Unit.objects.get(code="D/601/1234")
    assert response.url == unit.get_absolute_url()
    assert list(unit.criteria.values_list("number", "text")) == [
        ("1.1", "Describe the procedures"),
        ("1.2", "Explain why enquiries matter promptly"),
        ("2.1", "Reply to an enquiry"),
    ]
    assert list(unit.outcomes.values_list("number", "title", "kind")) == [
        ("1", "Understand how to handle enquiries", "knowledge"),
        ("2", "Be able to reply", "competence"),
    ]


def test_admin_sets_missing_title_code_and_level(client, centre_admin):
    client.force_login(centre_admin)
    text = "1. Understand safety\n1.1 Describe hazards\n"
    response = client.post(
        reverse("spec_import"),
        {
            "source_text": text,
            "confirm": "1",
            "unit-0-title": "Health and safety",
            "unit-0-code": "h/601/0001",
            "unit-0-level": "2",
        },
    )
    unit = Unit.objects.get(code="H/601/0001")
    assert response.url == unit.get_absolute_url()
    assert (unit.title, unit.level) == ("Health and safety", 2)


def test_two_rows_with_one_number_are_refused(client, centre_admin):
    client.force_login(centre_admin)
    row = {"outcome": "1", "outcome_title": "", "number": "1.1", "text": "Describe"}
    response = client.post(
        reverse("spec_import"),
        {
            "source_text": SPEC,
            "confirm": "1",
            "unit-0-title": "",
            "unit-0-code": "",
            **_rows([row, {**row, "text": "Explain"}]),
        },
    )
    assert response.status_code == 400
    assert "Each criterion needs its own number: 1.1 is used twice." in response.text
    assert not Unit.objects.exists()


def test_grading_grid_preview_shows_grade_bands(client, centre_admin):
    client.force_login(centre_admin)
    text = "Unit 2: Fitness\nP1 describe fitness\nM1 explain fitness\nD1 evaluate fitness\n"
    response = client.post(reverse("spec_import"), {"text": text})
    formset = response.context["units"][0][2]
    assert [(f.initial["number"], f.initial["grade"]) for f in formset.forms[:3]] == [
        ("P1", "pass"),
        ("M1", "merit"),
        ("D1", "distinction"),
    ]


def test_upload_of_wrong_type_is_refused(client, centre_admin):
    client.force_login(centre_admin)
    upload = SimpleUploadedFile("spec.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client.post(reverse("spec_import"), {"file": upload})
    assert response.status_code == 400
    assert "Upload a .txt, .docx or .pdf file." in response.text


def test_upload_of_docx_is_recognised(client, centre_admin, tmp_path):
    document = docx.Document()
    for line in SPEC.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "spec.docx"
    document.save(path)
    client.force_login(centre_admin)
    upload = SimpleUploadedFile("spec.docx", path.read_bytes())
    response = client.post(reverse("spec_import"), {"file": upload})
    assert response.status_code == 200
    assert "Handle customer enquiries" in response.text


def _as_browser_posts(response):
    """What the browser sends back from the preview: every field's value, ticked boxes only."""
    data = {"source_text": response.context["source_text"], "confirm": "1"}
    for _plan, details, rows in response.context["units"]:
        forms = [details]
        if rows is not None:
            forms += [rows.management_form, *rows.forms]
        for form in forms:
            for field in form:
                value = field.value()
                if value in (None, False):
                    continue
                data[field.html_name] = "on" if value is True else value
    return data


@needs_seeds
def test_39_unit_handbook_preview_posts_back_within_the_field_limit(client, centre_admin):
    client.force_login(centre_admin)
    text = next(SEEDS_DIR.glob("003_*.txt")).read_text(encoding="utf-8")
    preview = client.post(reverse("spec_import"), {"text": text})
    correctable = [rows for _, _, rows in preview.context["units"] if rows is not None]
    assert 0 < len(correctable) < 39
    data = _as_browser_posts(preview)
    assert len(data) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    saved = client.post(reverse("spec_import"), data)
    assert saved.status_code == 302
    assert Unit.objects.count() == 39
    assert AssessmentCriterion.objects.count() == 535
