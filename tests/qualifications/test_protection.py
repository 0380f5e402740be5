"""No import changes what another centre's learners rely on; every import is audited."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.chain import verify_chain
from audit.enums import AuditAction
from audit.models import AuditEntry
from portfolios import services as portfolio_services
from qualifications.importer import parse_spec
from qualifications.models import AssessmentCriterion, Qualification, QualificationUnit, Unit
from qualifications.services import SpecImportError, spec_import
from tests.catalogue import load_seed_catalogue
from tests.factories import UserFactory
from tests.qualifications.seeds import SEEDS_DIR, needs_seeds
from tests.qualifications.test_import import SPEC


def _snapshot():
    return (
        list(AssessmentCriterion.objects.order_by("pk").values_list("pk", "number", "text")),
        list(QualificationUnit.objects.order_by("pk").values_list("qualification", "unit")),
    )


@pytest.fixture
def in_use(db, centre, learner, tutor, centre_admin):
    """Unit D/601/1234 imported by the site, and alice enrolled on it at centre A."""
    unit = spec_import(result=parse_spec(SPEC)).units[0]
    portfolio_services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[unit],
        start_date=datetime.date(2026, 9, 1),
        planned_end_date=datetime.date(2027, 7, 31),
        by=centre_admin,
    )
    return unit


def test_another_centres_admin_cannot_rewrite_a_unit_in_use(in_use, outsider):
    before = _snapshot()
    changed = SPEC.replace("2.2 Record enquiries accurately", "2.2 Record enquiries")
    with pytest.raises(SpecImportError) as refused:
        spec_import(result=parse_spec(changed), by=outsider)
    assert str(refused.value) == (
        "Unit D/601/1234 is in the shared catalogue: only the site's staff or a catalogue "
        "editor can change it."
    )
    assert _snapshot() == before
    assert not AuditEntry.objects.filter(action=AuditAction.SPEC_IMPORTED, actor=outsider)


def test_staff_and_the_command_line_change_a_unit_in_use_by_a_new_version(in_use, tmp_path):
    staff = UserFactory(username="sam", is_staff=True)
    spec_import(
        result=parse_spec(SPEC.replace("1.2 Explain why", "1.2 Explain clearly why")), by=staff
    )
    assert in_use.criteria.get(number="1.2").text.startswith("Explain why")
    second = Unit.objects.get(lineage=in_use.lineage, version=2)
    assert second.criteria.get(number="1.2").text.startswith("Explain clearly why")
    path = tmp_path / "unit.txt"
    path.write_text(
        SPEC.replace("1.2 Explain why", "1.2 Explain clearly why").replace(
            "2.1 Respond", "2.1 Answer"
        ),
        encoding="utf-8",
    )
    call_command("import_spec", str(path))
    assert second.criteria.get(number="2.1").text.startswith("Answer")
    assert in_use.criteria.get(number="2.1").text.startswith("Respond")
    entries = list(
        AuditEntry.objects.filter(action=AuditAction.SPEC_IMPORTED)
        .order_by("seq")
        .values_list("actor_name", "summary")
    )
    title = "D/601/1234 Handle customer enquiries"
    assert entries == [
        ("system", f"{title} added from a specification"),
        (str(staff), f"{title} version 2 made from a specification (version 1 is in use)"),
        ("system", f"{title} updated from a specification"),
    ]
    assert verify_chain().ok


def test_centre_admin_changes_only_the_centres_own_units(db, outsider, other_centre):
    shared = spec_import(result=parse_spec(SPEC)).units[0]
    changed = SPEC.replace("2.1 Respond", "2.1 Answer")
    with pytest.raises(SpecImportError):
        spec_import(result=parse_spec(changed), by=outsider)
    with pytest.raises(SpecImportError):
        spec_import(result=parse_spec(changed), by=outsider, centre=other_centre)
    assert shared.criteria.get(number="2.1").text.startswith("Respond")

    own_text = SPEC.replace("D/601/1234", "D/601/9999")
    own = spec_import(result=parse_spec(own_text), by=outsider, centre=other_centre).units[0]
    assert own.centre == other_centre
    spec_import(
        result=parse_spec(own_text.replace("2.1 Respond", "2.1 Answer")),
        by=outsider,
        centre=other_centre,
    )
    own.refresh_from_db()
    assert own.version == 1
    assert own.criteria.get(number="2.1").text.startswith("Answer")


def _without_last_unit(text: str) -> str:
    """The 003 checklist with its last unit (J/506/1806) cut out."""
    start = text.index("J/506/1806 Principles of equality")
    return text[:start]


@needs_seeds
def test_reimport_leaving_out_a_unit_keeps_the_enrolled_qualification_whole(
    db, centre, learner, tutor, centre_admin, outsider
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
    text = _without_last_unit((SEEDS_DIR / "003_9251b7c42b0fa5fe.txt").read_text(encoding="utf-8"))
    before = _snapshot()
    with pytest.raises(SpecImportError) as refused:
        spec_import(result=parse_spec(text), by=outsider)
    assert str(refused.value) == (
        "Qualification 601/3734/4 is in the shared catalogue: only the site's staff or a "
        "catalogue editor can change it."
    )
    assert _snapshot() == before

    staff = UserFactory(username="sam", is_staff=True)
    report = spec_import(result=parse_spec(text), by=staff)
    # The learners' version keeps all 39 units; the new version lists what the document does.
    assert diploma.qualification_units.count() == 39
    assert (report.qualification.version, report.qualification_plan.status) == (2, "new_version")
    assert report.qualification.qualification_units.count() == 38
    assert report.qualification_plan.changes == [
        "unit removed: J/506/1806 Principles of equality and diversity in the workplace"
    ]


def test_another_centres_admin_posting_the_import_page_changes_nothing(client, in_use, outsider):
    before = _snapshot()
    client.force_login(outsider)
    changed = SPEC.replace("2.2 Record enquiries accurately", "2.2 Record enquiries")
    response = client.post(
        reverse("spec_import"),
        {
            "source_text": changed,
            "confirm": "1",
            "unit-0-title": "Handle customer enquiries",
            "unit-0-code": "D/601/1234",
            "unit-0-level": "2",
        },
    )
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was imported. Unit D/601/1234 is in the shared catalogue: only the site's "
        "staff or a catalogue editor can change it."
    ]
    assert _snapshot() == before
