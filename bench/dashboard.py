"""Benchmark: the centre admin's dashboard for centres of 30, 300 and 3,000 learners.

Run from the project root:  .venv/bin/python bench/dashboard.py  [--runs 7]

It builds three centres in its own temporary SQLite database with bulk inserts
(`bench/bulk_centre.py`): every learner enrolled on the BIIAB Level 2 Diploma in Customer
Service (its five mandatory units, 78 criteria), with four evidence items each (two of them
waiting for assessment), half of the criteria met for every other learner, start dates spread
over the last year, and a sampling plan per tutor. It then times the dashboard page (server
time through Django's test client: the first view, which counts the centre, and the median of
--runs views after it, served from the centre's cached summary) and counts its queries; and it
streams the CSV progress export of the 3,000 learners, reading it to the end, and reports the
peak of memory allocated meanwhile (tracemalloc).

The last line is machine-readable:
dashboard: queries_30=N queries_300=N queries_3000=N ms_30=N ms_300=N ms_3000=N build_s=N
export_3000_peak_mb=N
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
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

import tracemalloc  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.enums import Role  # noqa: E402
from accounts.models import Membership  # noqa: E402
from bench.bulk_centre import build_centre  # noqa: E402
from centres.selectors import centre_report  # noqa: E402

SIZES = (30, 300, 3000)


def measure(admin, runs: int):
    client = Client()
    client.force_login(admin)
    membership = Membership.objects.get(user=admin, role=Role.CENTRE_ADMIN)
    url = reverse("role_dashboard", args=[membership.pk])
    # The first view counts the centre (its summary is then cached until the next change).
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    cold = (time.perf_counter() - started) * 1000
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
    return len(queries), statistics.median(timings), cold, response


def export_peak(admin, centre) -> tuple[int, float]:
    """Rows of the centre's CSV progress export, and the peak of memory allocated while the
    response is made and read to the end (MB)."""
    client = Client()
    client.force_login(admin)
    url = reverse("progress_export", args=[centre.pk, "csv"])
    tracemalloc.start()
    response = client.get(url)
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, peak / 1024 / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        call_command("load_catalogue", verbosity=0)
        results = {}
        build_s = 0.0
        for size in SIZES:
            started = time.perf_counter()
            built = build_centre(size, audit=False)
            build_s += time.perf_counter() - started
            queries, ms, cold, response = measure(built.admin, args.runs)
            assert b'data-testid="rag-red"' in response.content
            in_report = centre_report(built.centre).active
            results[size] = (queries, ms, cold, in_report, response)
        rows, peak_mb = export_peak(built.admin, built.centre)
        print(
            f"{'learners':>9} {'queries':>8} {'ms (median)':>12} {'ms (first)':>11} "
            f"{'in report':>10} {'page KB':>8}"
        )
        for size, (queries, ms, cold, in_report, response) in results.items():
            print(
                f"{size:>9} {queries:>8} {ms:>12.1f} {cold:>11.0f} {in_report:>10} "
                f"{len(response.content) / 1024:>8.0f}"
            )
        print(f"built {sum(SIZES)} learners in {build_s:.1f} s (bulk inserts)")
        print(f"CSV export of {SIZES[-1]}: {rows} lines, peak {peak_mb:.1f} MB allocated")
        print(
            "dashboard: "
            + " ".join(f"queries_{size}={results[size][0]}" for size in SIZES)
            + " "
            + " ".join(f"ms_{size}={results[size][1]:.0f}" for size in SIZES)
            + f" build_s={build_s:.0f} export_3000_peak_mb={peak_mb:.1f}"
        )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
