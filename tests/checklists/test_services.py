"""Printing from the cache, and reading a portfolio with a fixed number of queries."""

import datetime
import io
import os
import time
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from checklists import services, tasks
from checklists.data import TEMPLATE_VERSION, blank_for_qualification, filled_for_enrolment
from checklists.enums import Layout
from checklists.models import CachedChecklist
from moderation import services as moderation_services
from moderation.vacs import VACS_ALL_YES
from portfolios.selectors import get_enrolment_for_user
from tests.checklists.helpers import add_evidence, enrol, make_unit, pdf_reader


def fresh(enrolment, user):
    return get_enrolment_for_user(user, enrolment.pk)


def test_unchanged_portfolio_is_served_from_the_cache(portfolio, enrolment, centre_admin):
    first = services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    again = services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    assert first.from_cache is False
    assert again.from_cache is True
    assert again.pdf == first.pdf
    cached = CachedChecklist.objects.get()
    assert cached.key == f"enrolment:{enrolment.pk}:achievement:all"
    assert cached.enrolment == enrolment
    assert cached.size == len(first.pdf)


def test_new_evidence_prints_again_and_drops_the_old_copy(
    portfolio, enrolment, catalogue, named_people, centre_admin, django_capture_on_commit_callbacks
):
    learner, _ = named_people
    services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    old_name = CachedChecklist.objects.get().pdf.name
    add_evidence(enrolment, by=learner, title="Phone call notes", criteria=catalogue.criteria(1))

    with django_capture_on_commit_callbacks(execute=True):
        printed = services.enrolment_checklist_print(
            enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
        )
    assert printed.from_cache is False
    assert CachedChecklist.objects.count() == 1
    assert CachedChecklist.objects.get().pdf.name != old_name
    assert not default_storage.exists(old_name)


def test_a_removed_link_or_renamed_learner_is_noticed(
    portfolio, enrolment, named_people, centre_admin
):
    """What timestamps alone would miss: a deletion, a change outside the portfolio."""
    learner, _ = named_people
    services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    portfolio["second"].links.first().delete()
    assert (
        services.enrolment_checklist_print(
            enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
        ).from_cache
        is False
    )
    learner.last_name = "Archer-Smith"
    learner.save()
    again = services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    assert again.from_cache is False


def test_each_layout_and_unit_has_its_own_cache_entry(
    portfolio, enrolment, catalogue, centre_admin
):
    e = fresh(enrolment, centre_admin)
    services.enrolment_checklist_print(enrolment=e, layout=Layout.ACHIEVEMENT)
    services.enrolment_checklist_print(enrolment=e, layout=Layout.OUTCOME_RECORD)
    services.enrolment_checklist_print(
        enrolment=e, layout=Layout.ACHIEVEMENT, unit=catalogue.units[0]
    )
    # Merged prints are kept whole; a single unit is served from the unit cache.
    assert sorted(CachedChecklist.objects.values_list("key", flat=True)) == [
        f"enrolment:{e.pk}:achievement:all",
        f"enrolment:{e.pk}:record:all",
    ]
    _, files = default_storage.listdir(f"checklists/units/enrolment-{e.pk}")
    assert len([name for name in files if name.endswith("-tagged.pdf")]) == 1
    assert len([name for name in files if not name.endswith("-tagged.pdf")]) == 4


def test_a_lost_cache_file_is_printed_again(portfolio, enrolment, centre_admin):
    e = fresh(enrolment, centre_admin)
    services.enrolment_checklist_print(enrolment=e, layout=Layout.ACHIEVEMENT)
    default_storage.delete(CachedChecklist.objects.get().pdf.name)
    printed = services.enrolment_checklist_print(enrolment=e, layout=Layout.ACHIEVEMENT)
    assert printed.from_cache is False
    assert printed.pdf.startswith(b"%PDF-")


def test_a_cache_file_cut_short_is_printed_again_and_replaced(
    portfolio, enrolment, centre_admin, caplog
):
    """A print stopped halfway leaves part of a file under its fingerprint's name."""
    e = fresh(enrolment, centre_admin)
    whole = services.enrolment_checklist_print(enrolment=e, layout=Layout.ACHIEVEMENT).pdf
    document = filled_for_enrolment(e, Layout.ACHIEVEMENT)
    unit_name = f"checklists/units/enrolment-{e.pk}/{document.unit_fingerprint(1)}.pdf"
    merged_name = CachedChecklist.objects.get().pdf.name
    for name in (unit_name, merged_name):
        with default_storage.open(name, "rb") as file:
            start = file.read()[:4000]
        default_storage.delete(name)
        default_storage.save(name, io.BytesIO(start))

    printed = services.enrolment_checklist_print(enrolment=e, layout=Layout.ACHIEVEMENT)

    assert printed.from_cache is False
    assert len(pdf_reader(printed.pdf).pages) == len(pdf_reader(whole).pages)
    assert "is cut short; printing it again" in caplog.text
    with default_storage.open(unit_name, "rb") as file:
        assert file.read().rstrip().endswith(b"%%EOF")
    again = services.enrolment_checklist_print(enrolment=e, layout=Layout.ACHIEVEMENT)
    assert again.from_cache is True
    assert again.pdf == printed.pdf


def test_fingerprint_covers_content_and_template_version(catalogue, monkeypatch):
    document = blank_for_qualification(catalogue.qualification, Layout.ACHIEVEMENT)
    same = blank_for_qualification(catalogue.qualification, Layout.ACHIEVEMENT)
    other_layout = blank_for_qualification(catalogue.qualification, Layout.OUTCOME_RECORD)
    before = document.fingerprint()
    assert same.fingerprint() == before
    assert other_layout.fingerprint() != before
    monkeypatch.setattr("checklists.data.TEMPLATE_VERSION", TEMPLATE_VERSION + "-next")
    assert document.fingerprint() != before


def test_blank_forms_are_cached_too(catalogue):
    first = services.blank_checklist_print(layout=Layout.OUTCOME_RECORD, unit=catalogue.units[0])
    again = services.blank_checklist_print(layout=Layout.OUTCOME_RECORD, unit=catalogue.units[0])
    assert (first.from_cache, again.from_cache) == (False, True)
    assert first.filename == "record-blank-a-100-0001.pdf"


# Queries ----------------------------------------------------------------------------------------


def _portfolio_of_size(catalogue, *, centre, learner, tutor, by, units: int, items: int):
    extra = [make_unit(f"C/200/{n:04d}", f"Extra unit {n}", (2, 2)) for n in range(units)]
    enrolment = enrol(
        catalogue,
        centre=centre,
        learner=learner,
        tutor=tutor,
        by=by,
        units=[catalogue.units[0]],
    )
    from portfolios.models import EnrolmentUnit

    EnrolmentUnit.objects.bulk_create(
        [EnrolmentUnit(enrolment=enrolment, unit=u, position=10 + i) for i, u in enumerate(extra)]
    )
    for n in range(items):
        add_evidence(
            enrolment,
            by=learner,
            title=f"Item {n}",
            criteria=[c for u in [catalogue.units[0], *extra] for c in u.criteria.all()][: n + 2],
            date=datetime.date(2026, 1, 10 + n),
        )
    return enrolment


@pytest.mark.parametrize("layout", list(Layout))
def test_reading_a_portfolio_costs_the_same_queries_for_1_or_30_units(
    layout, catalogue, centre, named_people, centre_admin, other_learner, django_assert_num_queries
):
    learner, tutor = named_people
    small = _portfolio_of_size(
        catalogue, centre=centre, learner=learner, tutor=tutor, by=centre_admin, units=0, items=1
    )
    large = _portfolio_of_size(
        catalogue,
        centre=centre,
        learner=other_learner,
        tutor=tutor,
        by=centre_admin,
        units=30,
        items=6,
    )
    covered = [
        c for u in large.units.order_by("enrolment_units__position") for c in u.criteria.all()
    ]
    moderation_services.criteria_decide(
        enrolment=large,
        by=tutor,
        decided_on=datetime.date(2026, 3, 1),
        requests=[
            moderation_services.DecisionRequest(criterion_id=c.pk, outcome="met")
            for c in covered[:7]
        ],
    )
    small, large = fresh(small, centre_admin), fresh(large, centre_admin)

    with django_assert_num_queries(8):
        small_doc = filled_for_enrolment(small, layout)
    with django_assert_num_queries(8):
        large_doc = filled_for_enrolment(large, layout)
    assert len(small_doc.units) == 1 and len(large_doc.units) == 31
    assert large_doc.criteria_count == 5 + 30 * 4
    large_rows = [r for u in large_doc.units for o in u.outcomes for r in o.rows]
    assert sum(len(r.evidence) for r in large_rows) == sum(range(2, 8))
    assert sum(r.is_met for r in large_rows) == 7


# The unit cache ----------------------------------------------------------------------------------


def unit_files(enrolment) -> set[str]:
    try:
        return set(default_storage.listdir(f"checklists/units/enrolment-{enrolment.pk}")[1])
    except FileNotFoundError:
        return set()


def test_a_new_decision_prints_only_its_unit_again(
    portfolio, enrolment, catalogue, named_people, centre_admin
):
    _, tutor = named_people
    first = services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    before = unit_files(enrolment)
    assert len(before) == 2

    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 1),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=catalogue.criteria(1)[0].pk, outcome="met"
            )
        ],
    )
    again = services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    after = unit_files(enrolment)
    assert again.from_cache is False and again.pdf != first.pdf
    # Unit A's PDF is reused as it was; only unit B, which holds the decision, is new.
    assert len(after - before) == 1
    assert before < after
    document = filled_for_enrolment(fresh(enrolment, centre_admin), Layout.ACHIEVEMENT)
    assert f"{document.unit_fingerprint(1)}.pdf" in after - before
    assert f"{document.unit_fingerprint(0)}.pdf" in before


def test_a_single_unit_is_served_tagged_from_the_unit_cache(
    portfolio, enrolment, catalogue, centre_admin
):
    e = fresh(enrolment, centre_admin)
    first = services.enrolment_checklist_print(
        enrolment=e, layout=Layout.OUTCOME_RECORD, unit=catalogue.units[0]
    )
    again = services.enrolment_checklist_print(
        enrolment=e, layout=Layout.OUTCOME_RECORD, unit=catalogue.units[0]
    )
    assert (first.from_cache, again.from_cache) == (False, True)
    assert again.pdf == first.pdf
    assert pdf_reader(first.pdf).trailer["/Root"]["/MarkInfo"] == {"/Marked": True}
    assert [name.endswith("-tagged.pdf") for name in unit_files(enrolment)] == [True]


def test_prune_deletes_unused_and_orphaned_cache_files(
    portfolio, enrolment, catalogue, centre_admin, other_learner, named_people
):
    _, tutor = named_people
    services.enrolment_checklist_print(
        enrolment=fresh(enrolment, centre_admin), layout=Layout.ACHIEVEMENT
    )
    services.blank_checklist_print(layout=Layout.ACHIEVEMENT, unit=catalogue.units[0])
    gone = enrol(catalogue, centre=enrolment.centre, learner=other_learner, tutor=tutor, by=tutor)
    services.enrolment_checklist_print(
        enrolment=fresh(gone, centre_admin), layout=Layout.ACHIEVEMENT, unit=catalogue.units[1]
    )
    old_name = sorted(unit_files(enrolment))[0]
    old = time.time() - 40 * 86400
    os.utime(
        default_storage.path(f"checklists/units/enrolment-{enrolment.pk}/{old_name}"), (old, old)
    )
    gone_pk = gone.pk
    type(gone).objects.filter(pk=gone_pk).delete()

    report = services.checklist_cache_prune(days=30)

    assert report == services.PruneReport(unit_files=2, merged=0)
    assert len(unit_files(enrolment)) == 1 and old_name not in unit_files(enrolment)
    assert default_storage.listdir(f"checklists/units/enrolment-{gone_pk}")[1] == []
    assert len(default_storage.listdir("checklists/units/blank")[1]) == 1

    CachedChecklist.objects.update(built_at=timezone.now() - datetime.timedelta(days=31))
    name = CachedChecklist.objects.get().pdf.name
    out = io.StringIO()
    call_command("prune_checklist_cache", stdout=out)
    assert out.getvalue() == "Deleted 0 cached unit PDFs and 1 merged prints.\n"
    assert not CachedChecklist.objects.exists() and not default_storage.exists(name)


def test_the_daily_prune_is_queued_once_and_queues_its_next_run(db, settings):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    out = io.StringIO()
    call_command("prune_checklist_cache", "--schedule", stdout=out)
    call_command("prune_checklist_cache", "--schedule", stdout=out)
    assert out.getvalue() == "Daily prune queued.\nDaily prune already queued.\n"
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "checklists.tasks.prune_cache"
    assert queued.status == TaskResultStatus.READY
    tomorrow_3am = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=1), datetime.time(3, 0)
        )
    )
    assert queued.run_after == tomorrow_3am

    # The worker runs it: it prunes, then queues tomorrow's run.
    queued.claim("test-worker")
    tasks.prune_cache.call()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_the_eqa_bundle_carries_the_checklist_as_pdf_a(portfolio, enrolment, centre_admin):
    from checklists.bundle import build_bundle

    spool = build_bundle(enrolment, by=centre_admin)
    archive = zipfile.ZipFile(spool)
    pdf = archive.read("checklist.pdf")
    reader = pdf_reader(pdf)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in xmp
    assert len(reader.pages) == 2
    assert (
        "checklist.pdf   the learner unit achievement checklist"
        in archive.read("README.txt").decode()
    )


def test_the_fingerprint_changes_with_everything_the_print_shows(
    portfolio, enrolment, catalogue, named_people, internal_moderator, centre_admin, monkeypatch
):
    """Each change a checklist prints gives the document another fingerprint, and a change
    to one unit leaves the other unit's fingerprint as it was (it is served from the cache)."""
    from moderation.enums import ModeratorKind, SampleOutcome
    from qualifications.models import Unit
    from tests.checklists.helpers import add_evidence
    from tests.factories import PASSWORD

    learner, tutor = named_people
    unit_b = catalogue.units[1]

    def fingerprints(layout=Layout.ACHIEVEMENT):
        document = filled_for_enrolment(fresh(enrolment, centre_admin), layout)
        return document.fingerprint(), document.unit_fingerprint(0), document.unit_fingerprint(1)

    seen = [fingerprints()]

    def changed(*, unit_a_too: bool = False, layout=Layout.ACHIEVEMENT):
        now = fingerprints(layout)
        assert now[0] not in {whole for whole, _, _ in seen}
        assert now[2] != seen[-1][2]
        assert (now[1] != seen[-1][1]) is unit_a_too
        seen.append(now)

    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 1),
        requests=[
            moderation_services.DecisionRequest(criterion_id=c.pk, outcome="met")
            for c in catalogue.criteria(1)
        ],
    )
    changed()  # a decision
    add_evidence(enrolment, by=learner, title="Witness statement", criteria=catalogue.criteria(1))
    changed()  # evidence
    sign_off = moderation_services.unit_sign_off(
        enrolment=enrolment, unit=unit_b, by=tutor, comments="Well evidenced.", password=PASSWORD
    )
    changed()  # the tutor's sign-off
    moderation_services.sign_off_acknowledge(sign_off=sign_off, by=learner, comment="Thanks.")
    changed()  # the learner's acknowledgement
    moderation_services.sample_decide(
        enrolment=enrolment,
        unit=unit_b,
        kind=ModeratorKind.INTERNAL,
        vacs=VACS_ALL_YES,
        by=internal_moderator,
        outcome=SampleOutcome.AGREED,
        comments="Sound decisions.",
        password=PASSWORD,
    )
    changed()  # moderation
    Unit.objects.filter(pk=unit_b.pk).update(version=unit_b.version + 1)
    changed()  # the unit's specification version
    monkeypatch.setattr("checklists.data.TEMPLATE_VERSION", TEMPLATE_VERSION + "-next")
    changed(unit_a_too=True)  # the template version
    changed(unit_a_too=True, layout=Layout.OUTCOME_RECORD)  # the layout
