"""Benchmark: the centre admin's dashboard for centres of 30 and 300 learners.

Run from the project root:  .venv/bin/python bench/dashboard.py  [--runs 7]

It builds two centres in its own temporary SQLite database: every learner enrolled on the
BIIAB Level 2 Diploma in Customer Service (its five mandatory units, 78 criteria), with four
evidence items each (two of them waiting for assessment), half of the criteria met for every
other learner, start dates spread over the last year, and a sampling plan per tutor. It then
times the dashboard page (server time, median of --runs requests, through Django's test client)
and counts its queries.

The last line is machine-readable:
dashboard: queries_30=N queries_300=N ms_30=N ms_300=N
"""

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(WORK / "media"),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
)

import django  # noqa: E402 (settings come from the environment set just above)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.enums import Role  # noqa: E402
from accounts.models import Centre, Membership, User  # noqa: E402
from centres.selectors import centre_report  # noqa: E402
from moderation.models import SamplingPlan  # noqa: E402
from portfolios import services  # noqa: E402
from portfolios.enums import DECLARATION_TEXT  # noqa: E402
from portfolios.models import CriterionDecision, Evidence  # noqa: E402
from qualifications.models import AssessmentCriterion, EvidenceMethod, Qualification  # noqa: E402

TUTORS = 12


def person(username, centre, role):
    user = User.objects.create_user(
        username, password=uuid.uuid4().hex, first_name=username.title(), last_name="Bench"
    )
    Membership.objects.create(user=user, centre=centre, role=role)
    return user


def build_centre(size: int):
    centre = Centre.objects.create(name=f"Bench centre {size}", centre_number=f"BENCH-{size}")
    admin = person(f"admin{size}", centre, Role.CENTRE_ADMIN)
    tutors = [person(f"tutor{size}-{n}", centre, Role.TUTOR) for n in range(TUTORS)]
    diploma = Qualification.objects.get(number="601/3734/4")
    mandatory = [
        link.unit
        for link in diploma.qualification_units.select_related("unit", "group")
        if link.group.is_mandatory
    ]
    criteria = list(AssessmentCriterion.objects.filter(unit__in=mandatory).order_by("pk"))
    method = EvidenceMethod.objects.get(slug="reflective-account")
    today = timezone.localdate()
    now = timezone.now()
    evidence, decisions = [], []
    for n in range(size):
        learner = person(f"learner{size}-{n:03d}", centre, Role.LEARNER)
        tutor = tutors[n % TUTORS]
        start = today - datetime.timedelta(days=(n * 7) % 365)
        enrolment = services.enrolment_create(
            centre=centre,
            learner=learner,
            tutor=tutor,
            qualification=diploma,
            units=mandatory,
            start_date=start,
            planned_end_date=start + datetime.timedelta(days=365),
            by=admin,
        )
        for number in range(1, 5):
            waiting = number > 2
            evidence.append(
                Evidence(
                    enrolment=enrolment,
                    number=number,
                    reference=f"E{number:03d}",
                    title=f"Evidence {number}",
                    method=method,
                    date=today,
                    text="Reflective account.",
                    created_by=learner,
                    submitted_at=now - datetime.timedelta(days=n % 30, hours=number),
                    submitted_by=learner,
                    declaration=DECLARATION_TEXT,
                    assessed_at=None if waiting else now,
                )
            )
        if n % 2 == 0:
            decisions.extend(
                CriterionDecision(
                    enrolment=enrolment,
                    criterion=c,
                    unit_id=c.unit_id,
                    outcome="met",
                    decided_on=today,
                    decided_by=tutor,
                )
                for c in criteria[: len(criteria) // 2]
            )
    # Bench data goes in directly: the services' checks and audit entries are not what is timed.
    Evidence.objects.bulk_create(evidence, batch_size=500)
    CriterionDecision.objects.bulk_create(decisions, batch_size=500)
    for tutor in tutors:
        SamplingPlan.objects.create(
            centre=centre, qualification=diploma, tutor=tutor, created_by=admin
        )
    return admin


def measure(admin, runs: int):
    client = Client()
    client.force_login(admin)
    membership = Membership.objects.get(user=admin, role=Role.CENTRE_ADMIN)
    url = reverse("role_dashboard", args=[membership.pk])
    assert client.get(url).status_code == 200
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper, not CaptureQueriesContext: each request closes its connection at the end.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return len(queries), statistics.median(timings), response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        call_command("load_catalogue", verbosity=0)
        results = {}
        for size in (30, 300):
            started = time.perf_counter()
            admin = build_centre(size)
            built = time.perf_counter() - started
            queries, ms, response = measure(admin, args.runs)
            assert b'data-testid="rag-red"' in response.content
            learners = len(centre_report(Membership.objects.get(user=admin).centre).learners)
            results[size] = (queries, ms, learners, built)
        print(
            f"{'learners':>9} {'queries':>8} {'ms (median)':>12} {'in report':>10} {'build s':>8}"
        )
        for size, (queries, ms, learners, built) in results.items():
            print(f"{size:>9} {queries:>8} {ms:>12.1f} {learners:>10} {built:>8.1f}")
        print(
            f"dashboard: queries_30={results[30][0]} queries_300={results[300][0]} "
            f"ms_30={results[30][1]:.0f} ms_300={results[300][1]:.0f}"
        )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
