"""How fast the checklists print.

Run from the project root:  .venv/bin/python bench/checklists.py

It works in its own temporary SQLite database and media folder: migrates, loads the catalogue
fixture, enrols one learner on all 39 units of the BIIAB Level 2 Diploma in Customer Service
(601/3734/4) with submitted evidence covering every criterion, the tutor's decisions and
sign-offs, the learner's acknowledgements and moderators' samples, then prints:

- the full diploma, filled in (learner unit achievement checklist, the 003 form), built afresh;
- the same again, served from the cache (nothing changed);
- a blank single unit (J/507/1557, the 000 unit assessment checklist).

Each is timed as the median of a few runs. BENCH_PDF=/some/file.pdf keeps the diploma's PDF.
The last line is machine-readable:
    checklists: full_pages=N full_s=N unit_pages=N unit_s=N
"""

import datetime
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3


def _configure(tmp: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _median_time(function) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
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
                        comments="Assessment decisions are valid and consistent.",
                        password=password,
                    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-checklists-") as tmp:
        _configure(Path(tmp))
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from checklists import services
        from checklists.data import blank_for_unit, filled_for_enrolment
        from checklists.enums import Layout
        from checklists.pdf import render_checklist
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

        def full_document():
            return filled_for_enrolment(
                get_enrolment_for_user(admin, enrolment.pk), Layout.ACHIEVEMENT
            )

        enrolment = get_enrolment_for_user(admin, enrolment.pk)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            document = filled_for_enrolment(enrolment, Layout.ACHIEVEMENT)
        full_queries = len(queries)
        data_s, _ = _median_time(full_document)
        full_s, full_pdf = _median_time(lambda: render_checklist(full_document()))
        full_pages = _pages(full_pdf)
        if os.environ.get("BENCH_PDF"):
            # To look at the result: BENCH_PDF=/tmp/diploma.pdf, then pdftoppm -png -r 60.
            Path(os.environ["BENCH_PDF"]).write_bytes(full_pdf)

        services.enrolment_checklist_print(
            enrolment=get_enrolment_for_user(admin, enrolment.pk), layout=Layout.ACHIEVEMENT
        )
        cached_s, cached = _median_time(
            lambda: services.enrolment_checklist_print(
                enrolment=get_enrolment_for_user(admin, enrolment.pk), layout=Layout.ACHIEVEMENT
            )
        )
        assert (
            cached.from_cache
            and cached.pdf
            == services.enrolment_checklist_print(
                enrolment=get_enrolment_for_user(admin, enrolment.pk), layout=Layout.ACHIEVEMENT
            ).pdf
        )

        unit = Unit.objects.get(code="J/507/1557")
        unit_s, unit_pdf = _median_time(
            lambda: render_checklist(blank_for_unit(unit, Layout.UNIT_ASSESSMENT))
        )
        unit_pages = _pages(unit_pdf)

        rows = [
            ("diploma filled, 003 form: data only", "", data_s, f"{full_queries} queries"),
            ("diploma filled, 003 form: data + PDF", full_pages, full_s, ""),
            ("diploma filled, 003 form: from cache", full_pages, cached_s, "no rendering"),
            ("blank unit J/507/1557, 000 form", unit_pages, unit_s, ""),
        ]
        print(
            f"{len(document.units)} units, {document.criteria_count} criteria, "
            f"{item_count} evidence items; median of {RUNS} runs"
        )
        print(f"{'what':<40} {'pages':>5} {'seconds':>8} {'s/page':>7}  note")
        for what, pages, seconds, note in rows:
            per_page = f"{seconds / pages:.3f}" if pages else ""
            print(f"{what:<40} {pages!s:>5} {seconds:>8.3f} {per_page:>7}  {note}")
        print(
            f"checklists: full_pages={full_pages} full_s={full_s:.2f} "
            f"unit_pages={unit_pages} unit_s={unit_s:.2f}"
        )


if __name__ == "__main__":
    main()
