"""A qualification's structure as one JSON document: out, in, and back out identical."""

import copy
import datetime
import json

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from accounts.enums import Role
from audit.models import AuditEntry
from portfolios import services as portfolio_services
from qualifications.catalogue import serialize_catalogue
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    BarredCombination,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitCode,
    UnitGroup,
)
from qualifications.structure import (
    StructureError,
    export_structure,
    export_units,
    import_structure,
    schema,
)
from tests.catalogue import load_seed_catalogue
from tests.factories import MembershipFactory, UserFactory

GRADING = {
    "unit_points": {"pass": 7, "merit": 8, "distinction": 9},
    "per_credit": False,
    "thresholds": [
        {"grade": "distinction", "min_points": 26},
        {"grade": "merit", "min_points": 23},
        {"grade": "pass", "min_points": 0},
    ],
}


def wipe_catalogue(*, keep_bodies=False):
    BarredCombination.objects.all().delete()
    QualificationUnit.objects.all().delete()
    UnitGroup.objects.all().delete()
    Qualification.objects.all().delete()
    AssessmentCriterion.objects.all().delete()
    LearningOutcome.objects.all().delete()
    UnitCode.objects.all().delete()
    Unit.objects.all().delete()
    if not keep_bodies:
        AwardingBody.objects.all().delete()


def seed_documents():
    documents = [export_structure(q) for q in Qualification.objects.order_by("number")]
    standalone = Unit.objects.filter(qualification_units__isnull=True)
    documents.append(export_units(standalone))
    return documents


@pytest.fixture
def catalogue(db):
    load_seed_catalogue()


def graded_document() -> dict:
    """A BTEC-style qualification: graded units, a points table, group rules, a barred pair."""

    def unit(slug, code, title, credits, bands):
        criteria = [
            {"number": f"1.{i}", "label": label, "grade": grade, "text": f"{title}: task {label}"}
            for i, (label, grade) in enumerate(bands, start=1)
        ]
        return {
            "group": None,
            "slug": slug,
            "lineage": slug,
            "version": 1,
            "code": code,
            "title": title,
            "level": 3,
            "credit_value": credits,
            "glh": credits * 6,
            "tqt": credits * 10,
            "assessment_guidance": "Learners present a portfolio.",
            "other_codes": [{"scheme": "BTEC", "code": f"U{slug[-1]}"}],
            "evidence_methods": ["observation", "written-assignment"],
            "outcomes": [
                {
                    "number": "1",
                    "title": f"Understand {title.lower()}",
                    "kind": "knowledge",
                    "guidance": "Range: customers, colleagues",
                    "content": "What the outcome covers.",
                    "evidence_guidance": "Written assignment*",
                    "criteria": criteria,
                }
            ],
        }

    bands = [("P1", "pass"), ("P2", "pass"), ("M1", "merit"), ("D1", "distinction")]
    units = [
        unit("b-601-0001", "B/601/0001", "Business environment", 10, bands) | {"group": "Core"},
        unit("b-601-0002", "B/601/0002", "Marketing", 10, bands) | {"group": "Optional A"},
        unit("b-601-0003", "B/601/0003", "Digital marketing", 10, bands) | {"group": "Optional A"},
        unit("b-601-0004", "", "Events", 10, bands[:2]) | {"group": "Optional B"},
    ]
    return {
        "format_version": 1,
        "qualification": {
            "number": "603/0001/1",
            "version": 1,
            "title": "BTEC Level 3 Extended Certificate in Business",
            "awarding_body": {"short_name": "Pearson", "name": "Pearson Education"},
            "level": 3,
            "min_credits": 30,
            "min_credits_at_level": 20,
            "at_level": 3,
            "grading": copy.deepcopy(GRADING),
            "notes": "Grade from three units.",
        },
        "groups": [
            {"name": "Core", "mandatory": True, "position": 0},
            {
                "name": "Optional A",
                "mandatory": False,
                "min_units": 1,
                "max_units": 1,
                "min_credits": 10,
                "max_credits": 10,
                "position": 1,
            },
            {"name": "Optional B", "mandatory": False, "max_units": 1, "position": 2},
        ],
        "units": units,
        "barred": [{"unit": "B/601/0002", "barred": "b-601-0003"}],
    }


def enrol_on(qualification):
    """An enrolment on units 1, 2 and 4 (a choice the rules allow), so they are in use."""
    units = Unit.objects.filter(slug__in=["b-601-0001", "b-601-0002", "b-601-0004"])
    admin = MembershipFactory(user=UserFactory(username="ada"), role=Role.CENTRE_ADMIN)
    centre = admin.centre
    learner = MembershipFactory(user=UserFactory(username="len"), centre=centre).user
    tutor = MembershipFactory(user=UserFactory(username="tom"), centre=centre, role=Role.TUTOR)
    return portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor.user,
        qualification=qualification,
        units=units,
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=admin.user,
    )


# ---------------------------------------------------------------- the round trip


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_seed_catalogue_round_trip_is_identical(catalogue):
    documents = seed_documents()
    before = serialize_catalogue()
    assert [len(d["units"]) for d in documents] == [39, 2]
    for document in documents:
        jsonschema.validate(document, schema())
    text = json.dumps(documents)

    wipe_catalogue()
    assert Unit.objects.count() == 0
    for document in json.loads(text):
        report = import_structure(document)
        assert {item.action for item in report.items} == {"created"}

    assert seed_documents() == json.loads(text)
    assert serialize_catalogue() == before


def test_diploma_document_says_what_the_seed_says(catalogue):
    document = export_structure(Qualification.objects.get(number="601/3734/4"))
    assert document["qualification"] | {"awarding_body": None} == {
        "number": "601/3734/4",
        "version": 1,
        "title": "BIIAB Level 2 Diploma in Customer Service",
        "awarding_body": None,
        "level": 2,
        "min_credits": None,
        "min_credits_at_level": None,
        "at_level": None,
        "grading": {},
        "notes": "",
    }
    assert [g["name"] for g in document["groups"]] == ["Mandatory units", "Optional units"]
    assert sum(1 for u in document["units"] if u["group"] == "Mandatory units") == 5
    criteria = [c for u in document["units"] for o in u["outcomes"] for c in o["criteria"]]
    assert len(criteria) == 535
    standalone = export_units(Unit.objects.filter(qualification_units__isnull=True))
    j507 = next(u for u in standalone["units"] if u["code"] == "J/507/1557")
    assert (j507["credit_value"], j507["glh"], j507["level"]) == (9, 42, 4)
    assert j507["other_codes"] == [{"scheme": "LASER", "code": "WJE863"}]


def test_graded_qualification_round_trips(db):
    document = graded_document()
    report = import_structure(document)
    assert report.counts() == {"created": 5}
    qualification = Qualification.objects.get(number="603/0001/1")
    assert qualification.grading == GRADING
    assert (qualification.min_credits_at_level, qualification.at_level) == (20, 3)
    optional_a = UnitGroup.objects.get(qualification=qualification, name="Optional A")
    assert (optional_a.min_units, optional_a.max_units, optional_a.max_credits) == (1, 1, 10)
    bar = BarredCombination.objects.get(qualification=qualification)
    assert (bar.unit.code, bar.barred.code) == ("B/601/0002", "B/601/0003")
    d1 = AssessmentCriterion.objects.get(unit__slug="b-601-0001", number="1.4")
    assert (d1.label, d1.grade, d1.shown_number) == ("D1", "distinction", "D1")

    exported = export_structure(qualification)
    before = serialize_catalogue()
    wipe_catalogue()
    import_structure(json.loads(json.dumps(exported)))
    again = export_structure(Qualification.objects.get(number="603/0001/1"))
    assert again == exported
    assert serialize_catalogue() == before
    # What the document left out is written out in full, with the same meaning.
    assert exported["barred"] == [{"unit": "b-601-0002", "barred": "b-601-0003"}]
    assert exported["units"][3]["code"] == "" and exported["units"][3]["needs_code"] is False


# ---------------------------------------------------------------- the same document twice


def test_same_document_twice_changes_nothing(db):
    import_structure(graded_document())
    entries = AuditEntry.objects.count()
    catalogue = serialize_catalogue()
    report = import_structure(graded_document())
    assert report.counts() == {"unchanged": 5}
    assert not report.changed
    assert AuditEntry.objects.count() == entries
    assert serialize_catalogue() == catalogue


def test_points_table_written_another_way_is_the_same_table(db):
    document = graded_document()
    del document["qualification"]["grading"]["per_credit"]
    assert import_structure(document).counts() == {"created": 5}
    assert Qualification.objects.get().grading == GRADING
    assert import_structure(document).counts() == {"unchanged": 5}


def test_seed_documents_imported_over_the_seed_change_nothing(catalogue):
    documents = seed_documents()
    entries = AuditEntry.objects.count()
    for document in documents:
        assert not import_structure(document).changed
    assert AuditEntry.objects.count() == entries


def test_import_is_audited_in_one_entry_per_row(db):
    start = AuditEntry.objects.count()
    import_structure(graded_document())
    entries = AuditEntry.objects.order_by("seq")[start:]
    assert [(e.object_type, e.data.get("action")) for e in entries] == [
        ("qualifications.unit", "created"),
        ("qualifications.unit", "created"),
        ("qualifications.unit", "created"),
        ("qualifications.unit", "created"),
        ("qualifications.awardingbody", None),
        ("qualifications.qualification", "created"),
    ]


# ---------------------------------------------------------------- versions


def test_changed_document_for_an_in_use_version_makes_a_new_version(db):
    import_structure(graded_document())
    qualification = Qualification.objects.get(number="603/0001/1")
    unit = Unit.objects.get(slug="b-601-0001")
    enrolment = enrol_on(qualification)
    held = list(unit.criteria.values_list("pk", "text"))

    document = graded_document()
    criteria = document["units"][0]["outcomes"][0]["criteria"]
    criteria[0]["text"] = "Describe the business environment"
    report = import_structure(document)

    assert [(i.key, i.action, i.version) for i in report.items] == [
        ("B/601/0001", "new_version", 2),
        ("B/601/0002", "unchanged", 1),
        ("B/601/0003", "unchanged", 1),
        ("b-601-0004", "unchanged", 1),
        ("603/0001/1", "new_version", 2),
    ]
    assert report.units[0].changes == {
        "added": 0,
        "removed": 0,
        "renumbered": 0,
        "reworded": 1,
        "unchanged": 3,
    }
    # The old versions, and the learner on them, are untouched.
    assert list(unit.criteria.values_list("pk", "text")) == held
    enrolment.refresh_from_db()
    assert enrolment.qualification_id == qualification.pk
    new = Unit.objects.get(lineage="b-601-0001", version=2)
    assert new.slug == "b-601-0001-v2"
    assert new.criteria.get(number="1.1").text == "Describe the business environment"
    v2 = Qualification.objects.get(number="603/0001/1", version=2)
    assert list(
        v2.units.order_by("qualification_units__position").values_list("slug", flat=True)
    ) == [
        "b-601-0001-v2",
        "b-601-0002",
        "b-601-0003",
        "b-601-0004",
    ]
    assert v2.grading == GRADING
    # The same changed document again changes nothing more.
    entries = AuditEntry.objects.count()
    assert not import_structure(document).changed
    assert AuditEntry.objects.count() == entries


def test_changed_document_for_an_unused_version_updates_it_in_place(db):
    import_structure(graded_document())
    document = graded_document()
    document["units"][1]["credit_value"] = 15
    document["groups"][1]["max_credits"] = 15
    report = import_structure(document)
    assert [(i.key, i.action, i.version) for i in report.items if i.action != "unchanged"] == [
        ("B/601/0002", "updated", 1),
        ("603/0001/1", "updated", 1),
    ]
    assert report.units[1].fields == ["credit_value"]
    assert Unit.objects.get(slug="b-601-0002").credit_value == 15
    assert Qualification.objects.filter(number="603/0001/1").count() == 1
    assert UnitGroup.objects.get(name="Optional A").max_credits == 15


def test_dry_run_reports_and_saves_nothing(db):
    catalogue = serialize_catalogue()
    entries = AuditEntry.objects.count()
    report = import_structure(graded_document(), dry_run=True)
    assert report.counts() == {"created": 5}
    assert report.dry_run
    assert serialize_catalogue() == catalogue
    assert AuditEntry.objects.count() == entries


# ---------------------------------------------------------------- refused documents


def assert_refused(document, *problems, **kwargs):
    catalogue = serialize_catalogue()
    entries = AuditEntry.objects.count()
    with pytest.raises(StructureError) as refused:
        import_structure(document, **kwargs)
    assert refused.value.problems == list(problems)
    assert serialize_catalogue() == catalogue
    assert AuditEntry.objects.count() == entries


def test_schema_failure_names_the_path_and_saves_nothing(db):
    document = graded_document()
    document["units"][3]["outcomes"][0]["criteria"][1]["grade"] = "excellent"
    assert_refused(
        document,
        "units[3].outcomes[0].criteria[1].grade: 'excellent' is not one of "
        "['', 'pass', 'merit', 'distinction']",
    )


def test_schema_failures_are_all_listed(db):
    document = graded_document()
    document["qualification"]["level"] = "three"
    del document["units"][0]["title"]
    document["units"][1]["code"] = "B6010002"
    document["units"][2]["outcomes"][0]["colour"] = "blue"
    assert_refused(
        document,
        "qualification.level: 'three' is not of type 'integer', 'null'",
        "units[0]: 'title' is a required property",
        "units[1].code: 'B6010002' does not match '^([A-Z]/[0-9]{3}/[0-9]{4})?$'",
        "units[2].outcomes[0]: Additional properties are not allowed ('colour' was unexpected)",
    )


def test_not_a_document_at_all(db):
    assert_refused([], "(the document): [] is not of type 'object'")
    assert_refused(
        {"format_version": 2, "qualification": None, "groups": [], "units": [], "barred": []},
        "format_version: 1 was expected",
    )


def test_meaning_failures_are_named(db):
    document = graded_document()
    document["units"][1]["group"] = "Optional C"
    document["units"][3]["slug"] = "b-601-0001"
    document["units"][0]["outcomes"][0]["criteria"][1]["number"] = "1.1"
    document["units"][0]["evidence_methods"] = ["telepathy"]
    document["groups"][1]["max_units"] = 0
    document["barred"].append({"unit": "B/601/0001", "barred": "Z/999/9999"})
    assert_refused(
        document,
        "groups[1].max_units: 0 is less than min_units.",
        "units[0].slug: 'b-601-0001' is used by two units.",
        "units[0].evidence_methods[0]: 'telepathy' is not an evidence method here.",
        "units[0].outcomes[0].criteria[0].number: criterion 1.1 is given twice in the unit.",
        "units[0].outcomes[0].criteria[1].number: criterion 1.1 is given twice in the unit.",
        'units[1].group: "Optional C" is not one of the document\'s groups.',
        "units[3].slug: 'b-601-0001' is used by two units.",
        "barred[1].barred: 'Z/999/9999' is not a unit of this document.",
    )


def test_points_table_is_checked(db):
    document = graded_document()
    document["qualification"]["grading"]["thresholds"] = [
        {"grade": "pass", "min_points": 0},
        {"grade": "merit", "min_points": 23},
    ]
    assert_refused(
        document,
        "qualification.grading: Thresholds must be listed highest first, each lower than the last.",
    )
    document = graded_document()
    document["qualification"]["at_level"] = None
    assert_refused(
        document,
        "qualification.at_level: minimum credits at or above a level need the level.",
    )


def test_a_later_fault_saves_nothing_of_what_came_before(db):
    document = graded_document()
    document["units"][3]["outcomes"][0]["title"] = "Outcome\x00"
    with pytest.raises(StructureError) as refused:
        import_structure(document)
    assert refused.value.problems == [
        "units[3].outcomes[0]: The title holds a NUL character (binary data)."
    ]
    assert Unit.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="qualifications.unit").count() == 0


# ---------------------------------------------------------------- ownership


@pytest.fixture
def seeded_with_graded(db):
    import_structure(graded_document())


def test_centre_admin_cannot_change_a_shared_unit(seeded_with_graded, centre, centre_admin):
    document = graded_document()
    document["units"][0]["title"] = "Forged title"
    assert_refused(
        document,
        "units[0]: unit B/601/0001 is in the shared catalogue and this document changes it; "
        "only the site's staff or catalogue editors can change it. Nothing was saved.",
        by=centre_admin,
        centre=centre,
    )


def test_centre_admin_cannot_import_into_the_shared_catalogue(db, centre_admin):
    assert_refused(
        graded_document(),
        "You may not import into the shared catalogue. Nothing was saved.",
        by=centre_admin,
    )


def test_centre_admin_cannot_import_into_another_centre(db, centre_admin, other_centre):
    assert_refused(
        graded_document(),
        f"You may not import into {other_centre}'s catalogue. Nothing was saved.",
        by=centre_admin,
        centre=other_centre,
    )


def test_centre_admin_imports_as_the_centres_own(db, centre, centre_admin):
    report = import_structure(graded_document(), by=centre_admin, centre=centre)
    assert report.counts() == {"created": 5}
    assert set(Unit.objects.values_list("centre", flat=True)) == {centre.pk}
    qualification = Qualification.objects.get()
    assert qualification.centre == centre
    # The centre's own unit, unused, is changed in place; the qualification's structure is
    # the same rows, so it is unchanged. The other centre sees none of it.
    document = graded_document()
    document["units"][2]["title"] = "Digital marketing in practice"
    report = import_structure(document, by=centre_admin, centre=centre)
    assert report.counts() == {"unchanged": 4, "updated": 1}
    assert Unit.objects.get(slug="b-601-0003").title == "Digital marketing in practice"


def test_centre_document_reuses_shared_units_it_does_not_change(
    seeded_with_graded, centre, centre_admin
):
    document = graded_document()
    document["qualification"]["number"] = "IH/0001"
    document["qualification"]["title"] = "In-house certificate in business"
    report = import_structure(document, by=centre_admin, centre=centre)
    assert [(i.key, i.action) for i in report.items] == [
        ("B/601/0001", "unchanged"),
        ("B/601/0002", "unchanged"),
        ("B/601/0003", "unchanged"),
        ("b-601-0004", "unchanged"),
        ("IH/0001", "created"),
    ]
    own = Qualification.objects.get(number="IH/0001")
    assert own.centre == centre
    assert set(own.units.values_list("centre", flat=True)) == {None}


def test_command_line_may_change_a_shared_in_use_unit_as_a_new_version(db):
    import_structure(graded_document())
    unit = Unit.objects.get(slug="b-601-0002")
    enrol_on(Qualification.objects.get())
    document = copy.deepcopy(graded_document())
    document["units"][1]["outcomes"][0]["criteria"].pop()
    report = import_structure(document, by=None)
    assert (report.units[1].action, report.units[1].version) == ("new_version", 2)
    assert report.units[1].changes["removed"] == 1
    assert unit.criteria.count() == 4


# ---------------------------------------------------------------- the commands


def test_export_and_import_commands_round_trip(catalogue, tmp_path, capsys):
    out = tmp_path / "diploma.json"
    call_command("export_qualification", "601/3734/4", "--output", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document == export_structure(Qualification.objects.get(number="601/3734/4"))
    capsys.readouterr()

    call_command("import_qualification", str(out), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is False
    assert report["qualification"] == {
        "kind": "qualification",
        "key": "601/3734/4",
        "version": 1,
        "action": "unchanged",
    }
    assert {u["action"] for u in report["units"]} == {"unchanged"}
    assert len(report["units"]) == 39

    document["units"][0]["credit_value"] = 5
    out.write_text(json.dumps(document), encoding="utf-8")
    call_command("import_qualification", str(out), "--dry-run")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "unit L/506/1807 v1: would be updated · Manage diary systems"
    assert lines[-2:] == [
        "qualification 601/3734/4 v1: would be unchanged · BIIAB Level 2 Diploma in Customer "
        "Service",
        "Dry run: nothing was saved.",
    ]
    assert Unit.objects.get(slug="l-506-1807").credit_value is None


def test_import_command_as_a_centres_own(db, tmp_path, capsys, centre):
    path = tmp_path / "btec.json"
    path.write_text(json.dumps(graded_document()), encoding="utf-8")
    call_command("import_qualification", str(path), "--centre", centre.centre_number)
    assert Qualification.objects.get().centre == centre
    assert capsys.readouterr().out.splitlines()[-1] == (
        "qualification 603/0001/1 v1: created · BTEC Level 3 Extended Certificate in Business"
    )
    call_command(
        "export_qualification", "603/0001/1", "--centre", centre.centre_number, "--version", "1"
    )
    assert json.loads(capsys.readouterr().out) == graded_document_as_exported()


def graded_document_as_exported() -> dict:
    return export_structure(Qualification.objects.get(number="603/0001/1"))


def test_import_command_refuses_a_bad_document(db, tmp_path):
    document = graded_document()
    document["units"][0]["outcomes"][0]["criteria"][0]["grade"] = "excellent"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_qualification", str(path))
    assert str(refused.value) == (
        f"Nothing was imported. {path}: units[0].outcomes[0].criteria[0].grade: 'excellent' is "
        "not one of ['', 'pass', 'merit', 'distinction']"
    )
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("import_qualification", str(path))
    assert Unit.objects.count() == 0
    with pytest.raises(CommandError, match=r"No qualification 603/0001/1 in that catalogue\."):
        call_command("export_qualification", "603/0001/1")


def test_another_centres_own_units_are_neither_used_nor_changed(db, centre, other_centre):
    import_structure(graded_document(), centre=centre)
    theirs = serialize_catalogue()
    report = import_structure(graded_document(), centre=other_centre)
    assert report.counts() == {"created": 5}
    ours = Unit.objects.filter(centre=other_centre).order_by("slug")
    assert list(ours.values_list("slug", "lineage", "version")) == [
        ("b-601-0001-2", "b-601-0001-2", 1),
        ("b-601-0002-2", "b-601-0002-2", 1),
        ("b-601-0003-2", "b-601-0003-2", 1),
        ("b-601-0004-2", "b-601-0004-2", 1),
    ]
    assert Qualification.objects.get(centre=other_centre).units.count() == 4
    assert Unit.objects.filter(centre=centre).count() == 4
    # Centre A's rows are as they were.
    now = set(serialize_catalogue().splitlines())
    assert all(line in now for line in theirs.splitlines())
    # Centre B's re-import finds its own units by their codes: nothing changes.
    assert import_structure(graded_document(), centre=other_centre).counts() == {"unchanged": 5}


def test_export_queries_do_not_grow_with_units(db, django_assert_num_queries):
    import_structure(graded_document())
    small = graded_document()
    small["qualification"]["number"] = "603/0002/1"
    small["units"] = small["units"][:1]
    small["barred"] = []
    for unit in small["units"]:
        unit["slug"] = unit["lineage"] = "c-601-0001"
        unit["code"] = "C/601/0001"
        unit["other_codes"] = []
    import_structure(small)
    for number in ("603/0002/1", "603/0001/1"):
        qualification = Qualification.objects.select_related("awarding_body").get(number=number)
        with django_assert_num_queries(8):
            export_structure(qualification)


@pytest.mark.parametrize(
    ("definition", "model"),
    [
        ("qualification", Qualification),
        ("group", UnitGroup),
        ("unit", Unit),
        ("outcome", LearningOutcome),
        ("criterion", AssessmentCriterion),
    ],
)
def test_schema_lengths_are_the_columns_lengths(definition, model):
    properties = schema()["$defs"][definition]["properties"]
    for name, rule in properties.items():
        if "maxLength" not in rule or name == "group":
            continue
        assert rule["maxLength"] == model._meta.get_field(name).max_length, name
    assert (
        schema()["$defs"]["unit"]["properties"]["other_codes"]["items"]["properties"]["code"][
            "maxLength"
        ]
        == UnitCode._meta.get_field("code").max_length
    )
