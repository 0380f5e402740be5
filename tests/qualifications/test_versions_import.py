"""Importing specifications onto versions: created, unchanged, updated in place, new version."""

import datetime
import json

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.enums import AuditAction
from audit.models import AuditEntry
from moderation import services as moderation_services
from portfolios import services as portfolio_services
from portfolios.enums import DecisionOutcome
from portfolios.models import CriterionDecision, EvidenceCriterion
from qualifications.catalogue import CATALOGUE_MODELS
from qualifications.importer import parse_spec
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    EvidenceMethod,
    Qualification,
    QualificationUnit,
    Unit,
)
from qualifications.resources import AssessmentCriterionResource
from qualifications.services import SpecImportError, spec_import, spec_plan
from tests.catalogue import load_seed_catalogue
from tests.factories import UserFactory
from tests.qualifications.seeds import SEEDS_DIR, needs_seeds
from tests.qualifications.test_import import SPEC

# The same unit as the awarding body reissued it: 1.2 reworded, 2.1 gone, 2.2 renumbered to
# 2.1 (same words), a new 2.2, a new outcome 3, and its credits changed.
REISSUED = """Unit title: Handle customer enquiries
Unit reference: D/601/1234
Level: 2
Credit value: 4
Guided learning hours: 20

Learning outcome 1: Understand how to handle enquiries
1.1 Describe the organisation's procedures for handling enquiries
1.2 Explain why enquiries must be answered within agreed times

Learning outcome 2: Be able to handle enquiries
2.1 Record enquiries accurately
2.2 Refer enquiries that cannot be answered

Learning outcome 3: Be able to review enquiries
3.1 Review the enquiries log with a manager
"""

GRADED = """Unit 14: Organising an Event
Unit reference: T/600/0014
Credit value: 5
Guided learning hours: 30

Assessment and grading criteria
In order to pass this unit, the evidence that the learner presents for assessment needs to demonstrate that they can meet all the learning outcomes for the unit.

Pass
Merit
Distinction
P1
describe the types of event organised in the travel sector
P2
plan an event with others [TW1]
M1
contribute to the planning of an event in a way that shows initiative
D1
analyse own contribution to the planning and running of the event
"""  # noqa: E501 - the grid's own sentence, as printed


def _catalogue_rows():
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in CATALOGUE_MODELS
    }


def _enrol(unit, *, centre, learner, tutor, centre_admin, qualification=None):
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=qualification,
        units=[unit],
        start_date=datetime.date(2026, 9, 1),
        planned_end_date=datetime.date(2027, 7, 31),
        by=centre_admin,
    )


@pytest.fixture
def assessed(db, centre, learner, tutor, centre_admin):
    """D/601/1234 version 1, alice's evidence on 2.1 and 2.2, and 2.2 decided met."""
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    enrolment = _enrol(unit, centre=centre, learner=learner, tutor=tutor, centre_admin=centre_admin)
    evidence = portfolio_services.evidence_create(
        enrolment=enrolment,
        by=learner,
        title="Enquiry log",
        method=EvidenceMethod.objects.get_or_create(slug="observation")[0],
        date=datetime.date(2026, 9, 10),
        text="I logged every enquiry for a week.",
        criteria=list(unit.criteria.filter(number__in=["2.1", "2.2"])),
    )
    portfolio_services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 9, 12),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=unit.criteria.get(number="2.2").pk, outcome=DecisionOutcome.MET
            )
        ],
    )
    return unit


def test_a_new_unit_is_created_as_version_1(db):
    report = spec_import(result=parse_spec(SPEC))
    [plan] = report.plans
    assert (plan.status, plan.version, report.units[0].version) == ("created", 1, 1)
    assert report.units[0].slug == "d-601-1234"
    entry = AuditEntry.objects.get(action=AuditAction.SPEC_IMPORTED)
    assert entry.data["status"] == "created"
    assert entry.data["version"] == 1


def test_importing_the_same_text_twice_changes_nothing(db):
    spec_import(result=parse_spec(SPEC))
    rows, entries = _catalogue_rows(), AuditEntry.objects.count()
    report = spec_import(result=parse_spec(SPEC))
    assert [plan.status for plan in report.plans] == ["unchanged"]
    assert _catalogue_rows() == rows
    assert AuditEntry.objects.count() == entries


@needs_seeds
def test_importing_the_diploma_twice_changes_nothing(db):
    text = (SEEDS_DIR / "003_9251b7c42b0fa5fe.txt").read_text(encoding="utf-8")
    first = spec_import(result=parse_spec(text))
    assert first.qualification_plan.status == "created"
    rows, entries = _catalogue_rows(), AuditEntry.objects.count()
    again = spec_import(result=parse_spec(text))
    assert {plan.status for plan in again.plans} == {"unchanged"}
    assert again.qualification_plan.status == "unchanged"
    assert again.qualification == first.qualification
    assert _catalogue_rows() == rows
    assert AuditEntry.objects.count() == entries


def test_a_change_to_a_version_nobody_uses_updates_it_in_place(db):
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    report = spec_import(result=parse_spec(REISSUED))
    [plan] = report.plans
    assert (plan.status, plan.version) == ("updated", 1)
    assert report.units[0].pk == unit.pk
    assert Unit.objects.filter(lineage=unit.lineage).count() == 1
    assert list(unit.criteria.values_list("number", flat=True)) == [
        "1.1",
        "1.2",
        "2.1",
        "2.2",
        "3.1",
    ]


def test_reimport_of_a_unit_in_use_makes_a_new_version_and_leaves_the_old_untouched(assessed):
    old_criteria = list(
        AssessmentCriterion.objects.filter(unit=assessed)
        .order_by("pk")
        .values_list("pk", "number", "text", "outcome_id")
    )
    links = list(EvidenceCriterion.objects.order_by("pk").values_list("pk", "criterion_id"))
    decisions = list(
        CriterionDecision.objects.order_by("pk").values_list("pk", "criterion_id", "outcome")
    )
    old_row = Unit.objects.filter(pk=assessed.pk).values().get()

    report = spec_import(result=parse_spec(REISSUED))
    [plan] = report.plans
    new = report.units[0]
    assert (plan.status, plan.version) == ("new_version", 2)
    assert (new.lineage, new.version, new.slug) == (assessed.lineage, 2, "d-601-1234-v2")
    assert new.credit_value == 4
    assert list(new.criteria.values_list("number", "text")) == [
        ("1.1", "Describe the organisation's procedures for handling enquiries"),
        ("1.2", "Explain why enquiries must be answered within agreed times"),
        ("2.1", "Record enquiries accurately"),
        ("2.2", "Refer enquiries that cannot be answered"),
        ("3.1", "Review the enquiries log with a manager"),
    ]
    # Version 1 and everything that refers to it are exactly as they were.
    assert Unit.objects.filter(pk=assessed.pk).values().get() == old_row
    assert (
        list(
            AssessmentCriterion.objects.filter(unit=assessed)
            .order_by("pk")
            .values_list("pk", "number", "text", "outcome_id")
        )
        == old_criteria
    )
    assert list(EvidenceCriterion.objects.order_by("pk").values_list("pk", "criterion_id")) == links
    assert (
        list(CriterionDecision.objects.order_by("pk").values_list("pk", "criterion_id", "outcome"))
        == decisions
    )
    entry = AuditEntry.objects.filter(action=AuditAction.SPEC_IMPORTED).latest("seq")
    assert entry.summary == (
        "D/601/1234 Handle customer enquiries version 2 made from a specification "
        "(version 1 is in use)"
    )
    assert entry.data["status"] == "new_version"
    assert entry.data["previous"] == "d-601-1234"
    assert entry.data["changes"] == {
        "added": 2,
        "removed": 1,
        "renumbered": 1,
        "reworded": 1,
        "unchanged": 1,
    }


def test_the_preview_diff_names_each_change(assessed):
    [plan] = spec_plan(result=parse_spec(REISSUED)).plans
    assert (plan.status, plan.in_use, plan.unit.pk) == ("new_version", True, assessed.pk)
    changes = [(c.kind, c.old, c.new) for c in plan.diff.changes if c.kind != "unchanged"]
    assert changes == [
        ("reworded", "1.2", "1.2"),
        ("removed", "2.1", ""),
        ("renumbered", "2.2", "2.1"),
        ("added", "", "2.2"),
        ("added", "", "3.1"),
    ]
    assert plan.diff.counts() == {
        "added": 2,
        "removed": 1,
        "renumbered": 1,
        "reworded": 1,
        "unchanged": 1,
    }
    assert plan.diff.fields == {"credit_value": (3, 4)}
    assert plan.diff.outcomes == {
        "3": {"title": (None, "Be able to review enquiries"), "kind": (None, "competence")}
    }


def test_a_new_unit_version_goes_into_the_qualification_that_lists_it(
    db, centre, learner, tutor, centre_admin
):
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    body = AwardingBody.objects.create(short_name="BIIAB", name="BIIAB")
    qualification = Qualification.objects.create(
        number="600/0000/1", title="Award", awarding_body=body
    )
    group = qualification.unit_groups.create(name="Mandatory units", is_mandatory=True)
    QualificationUnit.objects.create(qualification=qualification, unit=unit, group=group)
    _enrol(
        unit,
        centre=centre,
        learner=learner,
        tutor=tutor,
        centre_admin=centre_admin,
        qualification=qualification,
    )

    report = spec_import(result=parse_spec(REISSUED))
    new = report.units[0]
    [(draft, status)] = report.carried
    assert (draft.number, draft.version, status) == ("600/0000/1", 2, "new_version")
    assert list(draft.qualification_units.values_list("unit__slug", "group__name")) == [
        ("d-601-1234-v2", "Mandatory units")
    ]
    assert list(qualification.qualification_units.values_list("unit", flat=True)) == [unit.pk]

    # A further version while version 2 of the qualification is unused: changed in place.
    third = spec_import(result=parse_spec(REISSUED.replace("3.1 Review", "3.1 Discuss")), by=None)
    assert third.plans[0].status == "updated"  # version 2 of the unit is used by nobody
    assert third.units[0].pk == new.pk
    assert Qualification.objects.filter(number="600/0000/1").count() == 2


def test_graded_import_saves_labels_and_bands(db):
    unit = spec_import(result=parse_spec(GRADED)).units[0]
    assert list(unit.criteria.order_by("pk").values_list("number", "label", "grade")) == [
        ("P1", "P1", "pass"),
        ("P2", "P2", "pass"),
        ("M1", "M1", "merit"),
        ("D1", "D1", "distinction"),
    ]
    again = spec_import(result=parse_spec(GRADED))
    assert again.plans[0].status == "unchanged"


def test_command_json_reports_version_and_status(assessed, tmp_path, capsys):
    path = tmp_path / "unit.txt"
    path.write_text(REISSUED, encoding="utf-8")
    call_command("import_spec", str(path), "--json")
    assert json.loads(capsys.readouterr().out) == {
        "file": str(path),
        "units": [
            {
                "code": "D/601/1234",
                "title": "Handle customer enquiries",
                "slug": "d-601-1234-v2",
                "version": 2,
                "status": "new_version",
                "criteria": 5,
            }
        ],
        "qualification": None,
        "warnings": [],
    }
    call_command("import_spec", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["units"][0] | {"status": "x"} == {
        "code": "D/601/1234",
        "title": "Handle customer enquiries",
        "slug": "d-601-1234-v2",
        "version": 2,
        "status": "x",
        "criteria": 5,
    }


@needs_seeds
def test_command_json_reports_the_qualification(db, tmp_path, capsys):
    path = SEEDS_DIR / "003_9251b7c42b0fa5fe.txt"
    call_command("import_spec", str(path), "--json")
    first = json.loads(capsys.readouterr().out)
    assert first["qualification"] == {
        "number": "601/3734/4",
        "title": "BIIAB Level 2 Diploma in Customer Service",
        "version": 1,
        "status": "created",
    }
    assert len(first["units"]) == 39
    assert {(u["version"], u["status"]) for u in first["units"]} == {(1, "created")}
    call_command("import_spec", str(path), "--json")
    again = json.loads(capsys.readouterr().out)
    assert again["qualification"]["status"] == "unchanged"
    assert {(u["version"], u["status"]) for u in again["units"]} == {(1, "unchanged")}


def test_command_for_a_centre_may_not_change_a_shared_unit(db, centre, tmp_path):
    shared = spec_import(result=parse_spec(SPEC)).units[0]
    rows, entries = _catalogue_rows(), AuditEntry.objects.count()
    path = tmp_path / "unit.txt"
    path.write_text(REISSUED, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_spec", str(path), "--centre", centre.centre_number)
    assert str(refused.value) == (
        "Nothing was imported. Unit D/601/1234 is in the shared catalogue: only the site's "
        "staff or a catalogue editor can change it."
    )
    assert _catalogue_rows() == rows
    assert AuditEntry.objects.count() == entries
    assert shared.criteria.count() == 4


def test_command_for_a_centre_imports_its_own_unit(db, centre, other_centre, tmp_path, capsys):
    path = tmp_path / "own.txt"
    path.write_text(SPEC.replace("D/601/1234", "H/601/5555"), encoding="utf-8")
    call_command("import_spec", str(path), "--centre", centre.centre_number, "--json")
    assert json.loads(capsys.readouterr().out)["units"][0]["status"] == "created"
    unit = Unit.objects.get(code="H/601/5555")
    assert unit.centre == centre
    # Another centre importing the same document gets its own, and never sees the first.
    call_command("import_spec", str(path), "--centre", other_centre.centre_number)
    assert sorted(
        Unit.objects.filter(code="H/601/5555").values_list("centre__centre_number", flat=True)
    ) == [
        "A0001",
        "B0002",
    ]


def test_command_names_an_unknown_centre(db, tmp_path):
    path = tmp_path / "unit.txt"
    path.write_text(SPEC, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_spec", str(path), "--centre", "Z9999")
    assert str(refused.value) == "Nothing was imported. No centre has the number Z9999."
    assert not Unit.objects.exists()


def test_another_centres_admin_is_refused_before_anything_is_saved(assessed, outsider):
    rows = _catalogue_rows()
    with pytest.raises(SpecImportError):
        spec_import(result=parse_spec(REISSUED), by=outsider)
    assert _catalogue_rows() == rows


def test_staff_make_the_new_version_of_a_shared_unit(assessed):
    staff = UserFactory(username="sam", is_staff=True)
    report = spec_import(result=parse_spec(REISSUED), by=staff)
    assert (report.plans[0].status, report.units[0].version) == ("new_version", 2)
    assert report.units[0].centre is None


def test_site_admin_shows_a_version_in_use_but_will_not_change_or_delete_it(client, assessed):
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:qualifications_unit_change", args=[assessed.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [str(m) for m in page.context["messages"]] == [
        "Unit D/601/1234 Handle customer enquiries is version 1, and enrolments use it: it "
        "cannot be changed or deleted. Import the changed specification (or copy it) to make "
        "version 2; learners move to it when a centre admin moves them."
    ]
    forged = client.post(url, {"title": "Rewritten", "slug": assessed.slug})
    assert forged.status_code == 403
    delete = reverse("admin:qualifications_unit_delete", args=[assessed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    criterion = assessed.criteria.get(number="1.1")
    criterion_url = reverse("admin:qualifications_assessmentcriterion_change", args=[criterion.pk])
    assert client.post(criterion_url, {"text": "Rewritten"}).status_code == 403
    added = client.post(
        reverse("admin:qualifications_assessmentcriterion_add"),
        {"outcome": criterion.outcome_id, "number": "1.9", "text": "Added", "grade": ""},
    )
    assert added.status_code == 403
    assert not assessed.criteria.filter(number="1.9").exists()
    assessed.refresh_from_db()
    assert assessed.title == "Handle customer enquiries"
    assert assessed.criteria.get(number="1.1").text.startswith("Describe")


def test_site_admin_changes_an_unused_version_with_its_audit_entry(client, db):
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:qualifications_unit_change", args=[unit.pk])
    assert client.get(url).context["adminform"].form.fields["title"].disabled is False
    entry = AuditEntry.objects.count()
    criterion = unit.criteria.get(number="1.1")
    criterion_url = reverse("admin:qualifications_assessmentcriterion_change", args=[criterion.pk])
    response = client.post(
        criterion_url,
        {
            "outcome": criterion.outcome_id,
            "number": "1.1",
            "label": "",
            "grade": "",
            "text": "Describe the procedures",
            "guidance": "",
        },
    )
    assert response.status_code == 302
    assert unit.criteria.get(number="1.1").text == "Describe the procedures"
    assert AuditEntry.objects.count() == entry + 1


def test_unit_page_shows_its_version_every_version_and_bands(client, assessed, centre_admin):
    spec_import(result=parse_spec(REISSUED))
    graded = spec_import(result=parse_spec(GRADED)).units[0]
    client.force_login(centre_admin)
    page = client.get(reverse("unit_detail", args=["d-601-1234"]))
    assert page.context["unit"].pk == assessed.pk
    assert [(v.version, v.enrolment_count) for v in page.context["versions"]] == [(1, 1), (2, 0)]
    html = page.content.decode()
    assert 'data-testid="version">version 1</span>' in html
    assert '<a href="/catalogue/units/d-601-1234-v2/">Version 2</a>' in html
    second = client.get(reverse("unit_detail", args=["d-601-1234-v2"]))
    assert second.context["unit"].version == 2
    assert '<a href="/catalogue/units/d-601-1234/">Version 1</a>' in second.content.decode()
    graded_page = client.get(graded.get_absolute_url()).content.decode()
    assert 'data-testid="grade-band">Merit</span>' in graded_page


def test_version_counts_show_only_the_viewers_enrolments(client, assessed, outsider):
    client.force_login(outsider)
    page = client.get(reverse("unit_detail", args=["d-601-1234"]))
    assert [(v.version, v.enrolment_count) for v in page.context["versions"]] == [(1, 0)]


def test_import_preview_shows_the_diff_and_the_new_version(client, assessed):
    staff = UserFactory(username="sam", is_staff=True)
    client.force_login(staff)
    page = client.post(reverse("spec_import"), {"text": REISSUED})
    html = page.content.decode()
    assert "makes version 2 of D/601/1234 Handle customer enquiries" in html
    assert "Learners on version 1 stay there until a centre admin moves them." in html
    assert "Criteria: 2 added · 1 removed · 1 renumbered · 1 reworded · 1 unchanged" in html
    assert html.count('data-change="added"') == 2
    assert html.count('data-change="renumbered"') == 1
    assert '<th scope="row">creditvalue</th><td>3</td><td>4</td>' in html


def test_graded_unit_entered_by_hand_on_the_import_page(client, db):
    staff = UserFactory(username="sam", is_staff=True)
    client.force_login(staff)
    rows = [
        ("1", "P1", "pass", "Describe the types of event"),
        ("1", "M1", "merit", "Explain the choice of event"),
        ("1", "D1", "distinction", "Evaluate the event"),
    ]
    data = {
        "source_text": GRADED,
        "confirm": "1",
        "unit-0-title": "Organising an Event",
        "unit-0-code": "T/600/0014",
        "unit-0-level": "3",
        "unit-0-rows-TOTAL_FORMS": str(len(rows)),
        "unit-0-rows-INITIAL_FORMS": "0",
    }
    for i, (outcome, number, band, text) in enumerate(rows):
        data |= {
            f"unit-0-rows-{i}-outcome": outcome,
            f"unit-0-rows-{i}-number": f"{i + 1}",
            f"unit-0-rows-{i}-label": number,
            f"unit-0-rows-{i}-grade": band,
            f"unit-0-rows-{i}-text": text,
        }
    response = client.post(reverse("spec_import"), data)
    assert response.status_code == 302
    unit = Unit.objects.get(code="T/600/0014")
    assert list(unit.criteria.values_list("number", "label", "grade")) == [
        ("1", "P1", "pass"),
        ("2", "M1", "merit"),
        ("3", "D1", "distinction"),
    ]


@needs_seeds
def test_guidance_for_a_unit_in_use_goes_to_a_new_version(db, centre, learner, tutor, centre_admin):
    load_seed_catalogue()
    unit = Unit.objects.get(code="A/506/2130")
    _enrol(unit, centre=centre, learner=learner, tutor=tutor, centre_admin=centre_admin)
    text = (SEEDS_DIR / "002_d90e7e633d150227.txt").read_text(encoding="utf-8")
    assert spec_import(result=parse_spec(text)).plans[0].status == "unchanged"

    changed = text.replace("What the customer must have/requires.", "What the customer needs.")
    report = spec_import(result=parse_spec(changed))
    [plan] = report.plans
    assert (plan.status, report.units[0].version) == ("new_version", 2)
    assert list(plan.diff.outcomes) == ["1"]
    assert list(plan.diff.outcomes["1"]) == ["guidance"]
    old, new = (u.outcomes.get(number="1").guidance for u in (unit, report.units[0]))
    assert "What the customer must have/requires." in old
    assert "What the customer needs." in new
    # The diploma (used by nobody here) now lists the new unit version, in place.
    [(diploma, status)] = report.carried
    assert (diploma.number, diploma.version, status) == ("601/3734/4", 1, "updated")


def test_site_admin_spreadsheet_import_will_not_change_a_version_in_use(client, assessed):
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client.force_login(staff)
    exported = AssessmentCriterionResource().export()
    dataset = tablib.Dataset(headers=exported.headers)
    row = next(r for r in exported.dict if r["number"] == "1.1")
    dataset.append([{**row, "text": "Rewritten"}[h] for h in exported.headers])
    upload = client.post(
        "/admin/qualifications/assessmentcriterion/import/",
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("c.csv", dataset.csv.encode(), "text/csv"),
        },
    )
    confirm = upload.context["confirm_form"]
    entries = AuditEntry.objects.count()
    done = client.post(
        "/admin/qualifications/assessmentcriterion/process_import/",
        {name: confirm[name].value() for name in confirm.fields},
        follow=True,
    )
    assert [str(m) for m in done.context["messages"]] == [
        "Nothing was imported. Unit D/601/1234 Handle customer enquiries is version 1, and "
        "enrolments use it: it cannot be changed or deleted. Import the changed specification "
        "(or copy it) to make version 2; learners move to it when a centre admin moves them."
    ]
    assert assessed.criteria.get(number="1.1").text.startswith("Describe")
    assert AuditEntry.objects.count() == entries


def test_saving_the_import_page_says_what_each_unit_became(client, assessed):
    staff = UserFactory(username="sam", is_staff=True)
    client.force_login(staff)
    response = client.post(
        reverse("spec_import"),
        {
            "source_text": REISSUED,
            "confirm": "1",
            "unit-0-title": "Handle customer enquiries",
            "unit-0-code": "D/601/1234",
            "unit-0-level": "2",
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Imported 1 unit(s): D/601/1234 Handle customer enquiries v2 (new version)"
    ]
    assert response.context["unit"].slug == "d-601-1234-v2"


def test_qualification_page_lists_its_versions_with_unit_versions(
    client, db, centre, learner, tutor, centre_admin
):
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    body = AwardingBody.objects.create(short_name="BIIAB", name="BIIAB")
    first = Qualification.objects.create(number="600/0000/1", title="Award", awarding_body=body)
    group = first.unit_groups.create(name="Mandatory units", is_mandatory=True)
    QualificationUnit.objects.create(qualification=first, unit=unit, group=group)
    _enrol(
        unit,
        centre=centre,
        learner=learner,
        tutor=tutor,
        centre_admin=centre_admin,
        qualification=first,
    )
    second = spec_import(result=parse_spec(REISSUED)).carried[0][0]
    client.force_login(centre_admin)
    page = client.get(second.get_absolute_url())
    assert [(v.version, v.enrolment_count) for v in page.context["versions"]] == [(1, 1), (2, 0)]
    html = page.content.decode()
    assert f'<a href="/catalogue/qualifications/{first.pk}/">Version 1</a>' in html
    assert 'data-testid="version">version 2</span>' in html
    assert 'D/601/1234</a> <span class="small text-muted">v2</span>' in html


@needs_seeds
def test_reissued_diploma_becomes_version_2_and_learners_stay_on_version_1(
    db, centre, learner, tutor, centre_admin
):
    load_seed_catalogue()
    diploma = Qualification.objects.get(number="601/3734/4")
    mandatory = [link.unit for link in diploma.qualification_units.filter(group__is_mandatory=True)]
    portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=diploma,
        units=mandatory,
        start_date=datetime.date(2026, 9, 1),
        planned_end_date=datetime.date(2027, 7, 31),
        by=centre_admin,
    )
    text = (SEEDS_DIR / "003_9251b7c42b0fa5fe.txt").read_text(encoding="utf-8")
    changed = text.replace(
        "1.2 Describe the features and benefits of an organisation’s products and/or services",
        "1.2 Describe the features and benefits of the organisation’s products and services",
        1,
    )
    before = list(diploma.qualification_units.values_list("unit", flat=True))
    report = spec_import(result=parse_spec(changed))
    statuses = {}
    for plan in report.plans:
        statuses[plan.status] = [*statuses.get(plan.status, []), plan.saved.code]
    assert {k: len(v) for k, v in statuses.items()} == {"unchanged": 38, "new_version": 1}
    assert statuses["new_version"] == ["A/506/2130"]
    new = report.qualification
    assert (new.version, report.qualification_plan.status) == (2, "new_version")
    assert report.qualification_plan.changes == ["A/506/2130 at version 2"]
    assert list(diploma.qualification_units.values_list("unit", flat=True)) == before
    slugs = list(new.qualification_units.order_by("position").values_list("unit__slug", flat=True))
    assert len(slugs) == 39 and "a-506-2130-v2" in slugs and "a-506-2130" not in slugs
    assert list(new.unit_groups.values_list("name", "is_mandatory")) == list(
        diploma.unit_groups.values_list("name", "is_mandatory")
    )
    assert report.carried == []


def test_dry_run_says_what_each_unit_would_become_and_saves_nothing(assessed, tmp_path, capsys):
    path = tmp_path / "unit.txt"
    path.write_text(REISSUED, encoding="utf-8")
    rows = _catalogue_rows()
    call_command("import_spec", str(path), "--dry-run")
    assert "  unit 1 would be new version (version 2)\n" in capsys.readouterr().out
    assert _catalogue_rows() == rows
