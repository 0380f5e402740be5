"""How fast the checklists print, against a bare WeasyPrint table of the same rows.

Run from the project root:  .venv/bin/python bench/checklists.py

It works in its own temporary SQLite database and media folder: migrates, loads the catalogue
fixture, enrols one learner on all 39 units of the BIIAB Level 2 Diploma in Customer Service
(601/3734/4) with submitted evidence covering every criterion, the tutor's decisions and
sign-offs, the learner's acknowledgements and moderators' samples, then times (medians):

- floor: the same 535 rows as a bare WeasyPrint table (borders only), one document, one
  process: what WeasyPrint needs at the least to lay out and write these rows;
- full: the filled diploma (003 form) printed cold through the service, the unit cache and
  the merged cache emptied first: data, one worker per core taking units largest first,
  merge, store;
- one change: a new decision on one criterion, then the print again (one unit re-rendered);
- cached: the print again with nothing changed (data, fingerprint, one file read);
- cohort30: a cohort print of 30 learners with one unit each, cold, as the task worker runs it;
- the costs of tagging (one unit, tagged and not) and of the PDF/A copy of the diploma.

BENCH_PDF=/some/file.pdf keeps the diploma's PDF. The last line is machine-readable:
    checklists: full_pages=N full_s=N floor_s=N ratio=N one_change_s=N cached_ms=N cohort30_s=N
Other people's work on the same cores makes single runs noisy: compare medians.
"""

import datetime
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
# The unit left unsigned, whose criterion the tutor decides again for `one_change_s`.
UNSIGNED_UNIT = 19
CACHED_RUNS = 9


def _configure(tmp: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _usage() -> tuple[float, float, int]:
    """User and system CPU seconds and minor page faults of this process and of its
    finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        own.ru_utime + workers.ru_utime,
        own.ru_stime + workers.ru_stime,
        own.ru_minflt + workers.ru_minflt,
    )


def _cpu_s() -> float:
    user, system, _ = _usage()
    return user + system


CPU: dict[str, float] = {}
# The median run's (user s, system s, minor page faults): forked workers spend far more time
# in the kernel than the same units laid out in one process (see checklists/README.md).
SPLIT: dict[str, tuple[float, float, int]] = {}


def _median_time(function, name: str = "") -> tuple[float, object]:
    """The median wall time of RUNS calls; with `name`, their median CPU time too (in CPU),
    which other people's work on the same cores disturbs much less than the wall time."""
    times, cpu, splits, result = [], [], [], None
    for _ in range(RUNS):
        start, start_usage = time.perf_counter(), _usage()
        result = function()
        times.append(time.perf_counter() - start)
        split = tuple(after - before for before, after in zip(start_usage, _usage(), strict=True))
        splits.append(split)
        cpu.append(split[0] + split[1])
    if name:
        CPU[name] = statistics.median(cpu)
        SPLIT[name] = splits[cpu.index(CPU[name])]  # RUNS is odd: the median is a run
    return statistics.median(times), result


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _build_portfolio():
    """One learner on every unit of the diploma, every criterion covered by evidence."""
    from accounts.enums import Role
    from accounts.models import Centre, Membership, User
    from portfolios import services as portfolio_services
    from qualifications.models import EvidenceMethod, Qualification

    diploma = Qualification.objects.get(number="601/3734/4")
    centre = Centre.objects.create(name="Bench College", centre_number="BENCH-1")
    people = {}
    for username, first, last, role in (
        ("learner", "Lena", "Learner", Role.LEARNER),
        ("tutor", "Tom", "Tutor", Role.TUTOR),
        ("admin", "Ada", "Admin", Role.CENTRE_ADMIN),
        ("iqa", "Irene", "Quality", Role.INTERNAL_MODERATOR),
        ("eqa", "Edward", "External", Role.EXTERNAL_MODERATOR),
    ):
        user = User.objects.create_user(username, first_name=first, last_name=last)
        Membership.objects.create(user=user, centre=centre, role=role)
        people[username] = user
    units = [link.unit for link in diploma.qualification_units.select_related("unit")]
    enrolment = portfolio_services.enrolment_create(
        centre=centre,
        learner=people["learner"],
        tutor=people["tutor"],
        qualification=diploma,
        units=units,
        registration_number="BIIAB-000123",
        start_date=datetime.date(2026, 1, 5),
        planned_end_date=datetime.date(2026, 12, 18),
        by=people["admin"],
    )
    methods = list(EvidenceMethod.objects.filter(slug__in=["reflective-account", "questioning"]))
    items = []
    # Per unit, an item for every three criteria, and a second one over the first half: each
    # criterion carries one to two items, as a real portfolio might.
    for number, unit in enumerate(units):
        criteria = list(unit.criteria.order_by("sort_key"))
        groups = [criteria[i : i + 3] for i in range(0, len(criteria), 3)]
        groups.append(criteria[: max(1, len(criteria) // 2)])
        for part, group in enumerate(groups, start=1):
            items.append(
                portfolio_services.evidence_create(
                    enrolment=enrolment,
                    by=people["learner"],
                    title=f"{unit.title[:60]}: account of work, part {part}",
                    method=methods[(number + part) % len(methods)],
                    date=datetime.date(2026, 2, 1) + datetime.timedelta(days=number + part),
                    text="A reflective account of the work.",
                    criteria=group,
                )
            )
    portfolio_services.evidence_submit(
        items=items, by=people["learner"], declaration_confirmed=True
    )
    _assess(enrolment, people, units)
    return enrolment, people, len(items)


def _assess(enrolment, people, units) -> None:
    """Every criterion met, every unit signed and acknowledged; a quarter of the units sampled
    by the internal moderator and a few by the external one (the moderation app's services)."""
    from django.test import override_settings
    from django.utils import timezone

    from moderation import services as moderation_services
    from moderation.enums import ModeratorKind, SampleOutcome
    from moderation.vacs import VACS_ALL_YES
    from portfolios.enums import DecisionOutcome

    password = "bench-password"
    # Signing checks passwords; the production hasher would make the setup take minutes.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for user in people.values():
            user.set_password(password)
            user.save()
        now = timezone.now()
        moderation_services.grant_create(
            centre=enrolment.centre,
            by=people["admin"],
            moderator=people["eqa"],
            starts_at=now - datetime.timedelta(hours=1),
            ends_at=now + datetime.timedelta(days=30),
            enrolments=[enrolment],
        )
        for number, unit in enumerate(units):
            moderation_services.criteria_decide(
                enrolment=enrolment,
                by=people["tutor"],
                decided_on=datetime.date(2026, 4, 1) + datetime.timedelta(days=number),
                requests=[
                    moderation_services.DecisionRequest(
                        criterion_id=c.pk, outcome=DecisionOutcome.MET
                    )
                    for c in unit.criteria.all()
                ],
            )
            if number == UNSIGNED_UNIT:
                continue  # still being assessed: the bench's "one change" decides on it
            sign_off = moderation_services.unit_sign_off(
                enrolment=enrolment,
                unit=unit,
                by=people["tutor"],
                comments="All criteria met; the evidence is varied, current and sufficient.",
                password=password,
            )
            moderation_services.sign_off_acknowledge(
                sign_off=sign_off, by=people["learner"], comment="I agree with the feedback."
            )
            for kind, moderator, every in (
                (ModeratorKind.INTERNAL, people["iqa"], 4),
                (ModeratorKind.EXTERNAL, people["eqa"], 10),
            ):
                if number % every == 0:
                    moderation_services.sample_decide(
                        enrolment=enrolment,
                        unit=unit,
                        kind=kind,
                        by=moderator,
                        outcome=SampleOutcome.AGREED,
                        vacs=VACS_ALL_YES if kind == ModeratorKind.INTERNAL else None,
                        comments="Assessment decisions are valid and consistent.",
                        password=password,
                    )


def _floor_html(document) -> str:
    """The document's rows as a bare table: the same cells' text, no styling beyond borders."""
    from django.utils.html import escape

    rows = []
    for unit in document.units:
        for outcome in unit.outcomes:
            for row in outcome.rows:
                cells = (
                    f"{row.number} {row.text}",
                    row.titles,
                    row.references,
                    f"{row.date_completed:%d/%m/%Y}" if row.date_completed else "",
                    f"{row.decision} {row.decided_on or ''}",
                )
                rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return f"<html><body><table>{''.join(rows)}</table></body></html>"


def _render_floor(source: str) -> bytes:
    from weasyprint import CSS, HTML

    from checklists.pdf import _cyclic_gc_paused

    with _cyclic_gc_paused():
        css = CSS(string="table { border-collapse: collapse } td { border: 1px solid black }")
        return HTML(string=source).write_pdf(stylesheets=[css])


def _empty_cache() -> None:
    import shutil

    from django.conf import settings

    from checklists.models import CachedChecklist

    CachedChecklist.objects.all().delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "checklists", ignore_errors=True)


def _cohort(diploma, people) -> tuple:
    """Thirty learners at another centre, one unit each, with evidence on its criteria."""
    from accounts.enums import Role
    from accounts.models import Centre, Membership, User
    from portfolios import services as portfolio_services
    from portfolios.models import EnrolmentUnit
    from qualifications.models import EvidenceMethod

    centre = Centre.objects.create(name="Cohort College", centre_number="BENCH-2")
    # Fetched again: a user object remembers its roles once asked.
    tutor = User.objects.get(pk=people["tutor"].pk)
    admin = User.objects.get(pk=people["admin"].pk)
    Membership.objects.create(user=tutor, centre=centre, role=Role.TUTOR)
    Membership.objects.create(user=admin, centre=centre, role=Role.CENTRE_ADMIN)
    method = EvidenceMethod.objects.get(slug="reflective-account")
    links = list(diploma.qualification_units.select_related("unit", "group"))
    mandatory = [link.unit for link in links if link.is_mandatory]
    units = [link.unit for link in links]
    for n in range(30):
        learner = User.objects.create_user(f"cohort{n}", first_name="Learner", last_name=f"{n:02d}")
        Membership.objects.create(user=learner, centre=centre, role=Role.LEARNER)
        enrolment = portfolio_services.enrolment_create(
            centre=centre,
            learner=learner,
            tutor=tutor,
            qualification=diploma,
            units=mandatory,
            start_date=datetime.date(2026, 1, 5),
            planned_end_date=datetime.date(2026, 12, 18),
            by=admin,
        )
        # One unit each (the rules of combination would ask for more; a cohort's first term).
        unit = units[n % len(units)]
        EnrolmentUnit.objects.filter(enrolment=enrolment).delete()
        EnrolmentUnit.objects.create(enrolment=enrolment, unit=unit, position=0)
        item = portfolio_services.evidence_create(
            enrolment=enrolment,
            by=learner,
            title="Account of work",
            method=method,
            date=datetime.date(2026, 2, 1),
            text="A reflective account of the work.",
            criteria=list(unit.criteria.all()),
        )
        portfolio_services.evidence_submit(items=[item], by=learner, declaration_confirmed=True)
    return centre


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-checklists-") as tmp:
        _configure(Path(tmp))
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from checklists import services
        from checklists.data import blank_for_unit, filled_for_enrolment
        from checklists.enums import Layout
        from checklists.models import CohortPrint
        from checklists.pdf import render_checklist_archival, render_units
        from moderation import services as moderation_services
        from portfolios.models import CriterionDecision
        from portfolios.selectors import get_enrolment_for_user
        from qualifications.models import Qualification, Unit

        call_command("migrate", verbosity=0)
        call_command("load_catalogue", stdout=io.StringIO())
        if not Qualification.objects.filter(number="601/3734/4").exists():
            sys.exit(
                "The catalogue fixture has no 601/3734/4: run manage.py build_catalogue_fixture."
            )
        enrolment, people, item_count = _build_portfolio()
        admin = people["admin"]
        diploma = Qualification.objects.get(number="601/3734/4")
        cohort_centre = _cohort(diploma, people)

        def fresh():
            return get_enrolment_for_user(admin, enrolment.pk)

        def print_full():
            return services.enrolment_checklist_print(enrolment=fresh(), layout=Layout.ACHIEVEMENT)

        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            document = filled_for_enrolment(fresh(), Layout.ACHIEVEMENT)
        full_queries = len(queries)
        data_s, _ = _median_time(lambda: filled_for_enrolment(fresh(), Layout.ACHIEVEMENT))

        floor_source = _floor_html(document)
        floor_s, floor_pdf = _median_time(lambda: _render_floor(floor_source), "floor")

        def cold_full():
            _empty_cache()
            return print_full()

        full_s, full = _median_time(cold_full, "full")
        assert not full.from_cache
        full_pages = _pages(full.pdf)
        if os.environ.get("BENCH_PDF"):
            # To look at the result: BENCH_PDF=/tmp/diploma.pdf, then pdftoppm -png -r 60.
            Path(os.environ["BENCH_PDF"]).write_bytes(full.pdf)

        # One new decision on one criterion of the 20th unit, then the print again.
        changed_unit = Unit.objects.get(pk=document.units[UNSIGNED_UNIT].unit_id)
        criterion = changed_unit.criteria.order_by("sort_key").first()
        days = iter(range(1, 100))

        def one_change():
            moderation_services.criteria_decide(
                enrolment=enrolment,
                by=people["tutor"],
                decided_on=datetime.date(2026, 5, 1) + datetime.timedelta(days=next(days)),
                requests=[
                    moderation_services.DecisionRequest(
                        criterion_id=criterion.pk,
                        outcome="not_yet_met",
                        feedback="Add a witness statement.",
                        seen_id=CriterionDecision.objects.filter(
                            enrolment=enrolment, criterion=criterion
                        )
                        .latest()
                        .get()
                        .pk,
                    )
                ],
            )
            start = time.perf_counter()
            printed = print_full()
            elapsed = time.perf_counter() - start
            assert not printed.from_cache
            return elapsed

        print_full()
        one_change_s = statistics.median(one_change() for _ in range(RUNS))

        print_full()
        cached_times = []
        for _ in range(CACHED_RUNS):
            start = time.perf_counter()
            cached = print_full()
            cached_times.append(time.perf_counter() - start)
            assert cached.from_cache
        cached_ms = statistics.median(cached_times) * 1000

        def cohort():
            _empty_cache()
            cohort_print = CohortPrint.objects.create(
                centre=cohort_centre,
                qualification=diploma,
                layout=Layout.ACHIEVEMENT,
                requested_by=admin,
                total=30,
            )
            services.cohort_print_run(cohort_print_id=cohort_print.pk)
            cohort_print.refresh_from_db()
            assert cohort_print.status == "done", cohort_print.error
            return cohort_print.pages

        cohort30_s, cohort_pages = _median_time(cohort)

        unit = Unit.objects.get(code="J/507/1557")
        blank = blank_for_unit(unit, Layout.UNIT_ASSESSMENT)
        untagged_s, _ = _median_time(lambda: render_units([(blank, 0)], tagged=False))
        tagged_s, unit_pdf = _median_time(lambda: render_units([(blank, 0)], tagged=True))
        archival_s, archival_pdf = _median_time(lambda: render_checklist_archival(document))

        rows = [
            ("diploma filled, 003 form: data only", "", data_s, f"{full_queries} queries"),
            ("floor: bare table of the same rows", _pages(floor_pdf), floor_s, ""),
            ("diploma filled: cold, parallel, merged", full_pages, full_s, f"{len(full.pdf)} B"),
            ("diploma filled: one decision changed", full_pages, one_change_s, "one unit"),
            ("diploma filled: from cache", full_pages, cached_ms / 1000, "no rendering"),
            ("cohort of 30 learners, one unit each", cohort_pages, cohort30_s, "cold"),
            ("blank unit J/507/1557, 000 form", _pages(unit_pdf[0]), untagged_s, "untagged"),
            ("blank unit J/507/1557, 000 form", _pages(unit_pdf[0]), tagged_s, "tagged"),
            ("diploma filled, PDF/A-3b copy", _pages(archival_pdf), archival_s, "one process"),
        ]
        print(
            f"{len(document.units)} units, {document.criteria_count} criteria, "
            f"{item_count} evidence items; {len(os.sched_getaffinity(0))} cores; "
            f"load {os.getloadavg()[0]:.1f}; median of {RUNS} runs"
        )
        print(f"{'what':<40} {'pages':>5} {'seconds':>8} {'s/page':>7}  note")
        for what, pages, seconds, note in rows:
            per_page = f"{seconds / pages:.3f}" if pages else ""
            print(f"{what:<40} {pages!s:>5} {seconds:>8.3f} {per_page:>7}  {note}")
        print(
            f"CPU seconds (this process and its workers), median: full {CPU['full']:.2f}, "
            f"floor {CPU['floor']:.2f}; with the full print's work spread evenly over "
            f"{len(os.sched_getaffinity(0))} idle cores the ratio would be about "
            f"{CPU['full'] / len(os.sched_getaffinity(0)) / CPU['floor']:.2f}"
        )
        print(
            "  of which user / system seconds, minor page faults: "
            + "; ".join(
                f"{name} {user:.2f} / {system:.2f}, {faults}"
                for name, (user, system, faults) in SPLIT.items()
            )
        )
        print(
            f"checklists: full_pages={full_pages} full_s={full_s:.2f} floor_s={floor_s:.2f} "
            f"ratio={full_s / floor_s:.2f} one_change_s={one_change_s:.2f} "
            f"cached_ms={cached_ms:.0f} cohort30_s={cohort30_s:.2f}"
        )


if __name__ == "__main__":
    main()
