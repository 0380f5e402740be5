import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from portfolios import services
from portfolios.enums import DECLARATION_TEXT
from portfolios.models import Enrolment, Evidence, EvidenceCriterion, EvidenceFile
from tests.portfolios.conftest import criteria_of, enrol, stored_files
from tests.portfolios.helpers import upload


def _add(enrolment, by, method, **kwargs):
    kwargs.setdefault("title", "Evidence")
    kwargs.setdefault("date", datetime.date(2026, 2, 1))
    kwargs.setdefault("text", "Written account.")
    return services.evidence_create(enrolment=enrolment, by=by, method=method, **kwargs)


# ---------------------------------------------------------------- enrolment


def test_enrolment_create_orders_units_as_the_qualification(enrolment, catalogue):
    codes = [eu.unit.code for eu in enrolment.enrolment_units.select_related("unit")]
    assert codes == ["A/100/0001", "A/100/0002", "B/100/0003"]
    assert enrolment.registration_number == "REG123"
    assert enrolment.last_evidence_number == 0


def test_enrolment_create_refuses_missing_mandatory_unit(
    catalogue, centre, learner, tutor, centre_admin
):
    with pytest.raises(ValidationError) as exc:
        enrol(
            catalogue,
            centre=centre,
            learner=learner,
            tutor=tutor,
            by=centre_admin,
            units=[catalogue.mandatory[0], *catalogue.optional],
        )
    assert exc.value.messages == [
        "Mandatory unit A/100/0002 Communicate with customers is not chosen."
    ]
    assert Enrolment.objects.count() == 0


def test_enrolment_create_refuses_people_without_roles(
    catalogue, centre, learner, tutor, centre_admin
):
    with pytest.raises(ValidationError) as exc:
        enrol(catalogue, centre=centre, learner=tutor, tutor=learner, by=centre_admin)
    assert sorted(exc.value.messages) == sorted(
        [
            f"{tutor} is not a learner at Alpha College.",
            f"{learner} is not a tutor at Alpha College.",
        ]
    )


def test_short_course_enrolment_on_one_unit(catalogue, centre, learner, tutor, centre_admin):
    enrolment = services.enrolment_create(
        centre=centre,
        learner=learner,
        tutor=tutor,
        qualification=None,
        units=[catalogue.short_course],
        start_date=datetime.date(2026, 1, 1),
        planned_end_date=datetime.date(2026, 3, 1),
        by=centre_admin,
    )
    assert enrolment.qualification is None
    assert list(enrolment.units.all()) == [catalogue.short_course]
    with pytest.raises(ValidationError, match="exactly one unit"):
        services.enrolment_create(
            centre=centre,
            learner=learner,
            tutor=tutor,
            qualification=None,
            units=[catalogue.short_course, catalogue.optional[0]],
            start_date=datetime.date(2026, 1, 1),
            planned_end_date=datetime.date(2026, 3, 1),
            by=centre_admin,
        )


def test_enrolment_end_before_start_is_refused(catalogue, centre, learner, tutor, centre_admin):
    with pytest.raises(ValidationError):
        services.enrolment_create(
            centre=centre,
            learner=learner,
            tutor=tutor,
            qualification=None,
            units=[catalogue.short_course],
            start_date=datetime.date(2026, 5, 1),
            planned_end_date=datetime.date(2026, 3, 1),
            by=centre_admin,
        )


def test_enrolment_update_changes_units_and_tutor(enrolment, catalogue, second_tutor, centre_admin):
    services.enrolment_update(
        enrolment=enrolment,
        tutor=second_tutor,
        units=catalogue.mandatory + catalogue.optional,
        registration_number=" REG999 ",
        start_date=enrolment.start_date,
        planned_end_date=enrolment.planned_end_date,
        status="withdrawn",
        by=centre_admin,
    )
    enrolment.refresh_from_db()
    assert enrolment.tutor == second_tutor
    assert enrolment.registration_number == "REG999"
    assert enrolment.status == "withdrawn"


# ---------------------------------------------------------------- references


def test_references_count_up_and_are_never_reused(enrolment, learner, method):
    first = _add(enrolment, learner, method)
    second = _add(enrolment, learner, method)
    assert [first.reference, second.reference] == ["E001", "E002"]
    services.evidence_delete(evidence=second, by=learner)
    third = _add(enrolment, learner, method)
    assert third.reference == "E003"
    enrolment.refresh_from_db()
    assert enrolment.last_evidence_number == 3


def test_references_are_per_enrolment(enrolment, other_enrolment, learner, method):
    assert _add(enrolment, learner, method).reference == "E001"
    assert other_enrolment.evidence.get().reference == "E001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks")
def test_two_uploads_at_once_take_different_references(
    catalogue, centre, learner, tutor, centre_admin
):
    from qualifications.models import EvidenceMethod

    enrolment = enrol(catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin)
    method = EvidenceMethod.objects.get(slug="reflective-account")
    barrier = threading.Barrier(4)
    errors = []

    def add():
        try:
            barrier.wait()
            _add(enrolment, learner, method)
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(Evidence.objects.values_list("reference", flat=True)) == [
        "E001",
        "E002",
        "E003",
        "E004",
    ]


# ---------------------------------------------------------------- evidence


def test_evidence_needs_files_text_or_workplace_location(enrolment, learner, method):
    with pytest.raises(ValidationError, match="at least one file"):
        _add(enrolment, learner, method, text="  ")
    workplace = _add(
        enrolment, learner, method, text="", workplace_location="Policy binder, office 2"
    )
    assert workplace.workplace_location == "Policy binder, office 2"


def test_tutor_records_observation_but_not_reflective_account(
    enrolment, tutor, method, observation
):
    record = _add(enrolment, tutor, observation, title="Observed at the till")
    assert record.created_by == tutor
    with pytest.raises(ValidationError):
        _add(enrolment, tutor, method)


def test_criteria_outside_the_enrolment_are_refused(enrolment, learner, method, catalogue):
    outside = criteria_of(catalogue.short_course)[0]
    with pytest.raises(ValidationError, match="not in this enrolment"):
        _add(enrolment, learner, method, criteria=[outside])
    assert Evidence.objects.count() == 0


def test_set_criteria_replaces_the_mapping_across_units(evidence, learner, enrolment):
    a = criteria_of(enrolment.units.get(code="A/100/0001"))
    b = criteria_of(enrolment.units.get(code="B/100/0003"))
    services.evidence_set_criteria(evidence=evidence, by=learner, criteria=[a[1], b[0], b[1]])
    assert sorted(evidence.links.values_list("criterion_id", flat=True)) == sorted(
        [a[1].pk, b[0].pk, b[1].pk]
    )


def test_submit_records_time_and_declaration_and_freezes(evidence, learner, method):
    before = timezone.now()
    assert services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True) == 1
    evidence.refresh_from_db()
    assert evidence.submitted_at >= before
    assert evidence.submitted_by == learner
    assert evidence.declaration == DECLARATION_TEXT
    with pytest.raises(ValidationError, match=r"can no longer be changed|cannot change"):
        services.evidence_update(
            evidence=evidence,
            by=learner,
            title="Changed",
            method=method,
            date=evidence.date,
            text="changed",
        )
    with pytest.raises(ValidationError):
        services.evidence_set_criteria(evidence=evidence, by=learner, criteria=[])
    with pytest.raises(ValidationError, match="submitted"):
        services.evidence_delete(evidence=evidence, by=learner)
    evidence.refresh_from_db()
    assert evidence.title == "Complaint log"


def test_submit_needs_declaration_and_criteria(enrolment, learner, method, evidence):
    unmapped = _add(enrolment, learner, method, title="Unmapped")
    with pytest.raises(ValidationError, match="Confirm the declaration"):
        services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=False)
    with pytest.raises(ValidationError) as exc:
        services.evidence_submit(items=[evidence, unmapped], by=learner, declaration_confirmed=True)
    assert exc.value.messages == ["E002 Unmapped is not mapped to any criterion yet."]
    evidence.refresh_from_db()
    assert evidence.submitted_at is None  # all or nothing


def test_only_the_learner_submits(evidence, tutor):
    with pytest.raises(ValidationError, match="cannot submit"):
        services.evidence_submit(items=[evidence], by=tutor, declaration_confirmed=True)


def test_assessed_evidence_is_never_deleted(evidence, learner):
    services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    Evidence.objects.filter(pk=evidence.pk).update(assessed_at=timezone.now())
    with pytest.raises(ValidationError, match="assessed"):
        services.evidence_delete(evidence=evidence, by=learner)
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_correction_supersedes_and_copies_the_mapping(evidence, learner, method, enrolment):
    services.evidence_submit(items=[evidence], by=learner, declaration_confirmed=True)
    evidence.refresh_from_db()
    correction = _add(
        enrolment, learner, method, title="Complaint log (corrected)", supersedes=evidence
    )
    assert correction.reference == "E002"
    assert correction.supersedes == evidence
    assert set(correction.links.values_list("criterion_id", flat=True)) == set(
        evidence.links.values_list("criterion_id", flat=True)
    )
    with pytest.raises(ValidationError, match="already been corrected"):
        _add(enrolment, learner, method, supersedes=evidence)


def test_drafts_cannot_be_superseded(evidence, learner, method, enrolment):
    with pytest.raises(ValidationError, match="Only submitted"):
        _add(enrolment, learner, method, supersedes=evidence)


def test_delete_draft_removes_files_links_and_storage(
    evidence, learner, media_root, django_capture_on_commit_callbacks
):
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(evidence=evidence, by=learner)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert EvidenceFile.objects.count() == 0
    assert EvidenceCriterion.objects.count() == 0
    assert stored_files(media_root) == []


def test_update_adds_and_removes_files(
    evidence, learner, method, media_root, django_capture_on_commit_callbacks
):
    old = evidence.files.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_update(
            evidence=evidence,
            by=learner,
            title="Complaint log v2",
            method=method,
            date=evidence.date,
            text=evidence.text,
            new_files=[upload("notes.txt", b"Notes from the call.\n")],
            remove_file_ids=[old.pk],
        )
    assert list(evidence.files.values_list("name", flat=True)) == ["notes.txt"]
    assert len(stored_files(media_root)) == 1
