"""Benchmark: 50 people at once against gunicorn and PostgreSQL, with /healthz as the floor.

Run from the project root:  .venv/bin/python bench/load.py  [--seconds 60] [--workers 3]

Needs PostgreSQL on 127.0.0.1:5432 that the role `postgres` reaches without a password (trust
authentication), and locust (in the dev packages). It:

1. makes a database of its own (dropped at the end), migrates it, loads the catalogue and
   collects the static files, as `bin/serve` does;
2. builds a centre of 300 learners on the diploma with bulk inserts (`bench/bulk_centre.py`):
   15 tutors, 5 centre admins, four evidence items per learner, decisions;
3. starts gunicorn with deploy/gunicorn.conf.py and production settings (DEBUG=0, secure
   cookies, HTTPS as a proxy reports it with X-Forwarded-Proto);
4. signs 50 people in (before the measured window): 30 learners, 15 tutors, 5 admins;
5. runs locust headless (bench/locustfile.py) with no think time, so the server is saturated:
   first `/healthz` alone from 50 users (the framework's floor: a request, a session-less
   middleware pass and one query), then the page mix: learners open their portfolio and
   upload 1-5 MB PDFs, tutors open their queue and record decisions, admins open the centre
   dashboard. About a quarter of --seconds goes to the floor, the rest to the pages.

It prints locust's table for each phase and one line:
load: users=50 rps=N p95_ms=N baseline_rps=N baseline_p95_ms=N errors=N
Other work on the machine changes these numbers a lot: the load average is printed with them.
"""

import argparse
import csv
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-load-"))
DB_NAME = f"bench_load_{os.getpid()}"
PASSWORD = uuid.uuid4().hex
ADMIN_DB = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
    "ALLOWED_HOSTS": "127.0.0.1",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "MEDIA_ROOT": str(WORK / "media"),
    "STATIC_ROOT": str(WORK / "static"),
    "FILE_UPLOAD_TEMP_DIR": str(WORK / "upload-tmp"),
    # As behind deploy/nginx/portal.conf: the proxy on 127.0.0.1 says the visitor used TLS.
    "BEHIND_TLS_PROXY": "1",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    "GUNICORN_LOG_LEVEL": "warning",
    "LOG_LEVEL": "WARNING",
    "PYTHONUNBUFFERED": "1",
    # Fifty sign-ins from one address are not an attack here.
    "AXES_FAILURE_LIMIT": "1000",
}
(WORK / "upload-tmp").mkdir()


def _database(action: str) -> None:
    import psycopg2

    connection = psycopg2.connect(**ADMIN_DB)
    connection.autocommit = True
    with connection.cursor() as cursor:
        if action == "create":
            cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
        else:
            cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    connection.close()


def _build() -> dict:
    """Migrate, load, collect, build the centre; who signs in as whom."""
    os.environ.update(ENV)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from accounts.models import Membership
    from bench.bulk_centre import build_centre
    from portfolios.demo import demo_pdf
    from qualifications.models import EvidenceMethod

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    # The audit entries of the built rows are left out (build time); the people's own
    # decisions and uploads during the run write theirs as always.
    built = build_centre(300, tutors=15, admins=5, prefix="load", password=PASSWORD, audit=False)
    method = EvidenceMethod.objects.get(slug="witness-testimony").pk
    today = timezone.localdate().isoformat()
    memberships = dict(
        Membership.objects.filter(user__in=built.admins).values_list("user_id", "pk")
    )
    (WORK / "evidence.pdf").write_bytes(demo_pdf("Witness statement"))
    people = {
        "learner": [
            {"username": e.learner.username, "enrolment": e.pk, "method": method, "today": today}
            for e in built.enrolments[:30]
        ],
        "tutor": [{"username": t.username, "today": today} for t in built.tutors],
        "admin": [
            {"username": a.username, "dashboard": f"/dashboard/{memberships[a.pk]}/"}
            for a in built.admins
        ],
    }
    connections.close_all()
    return people


def _request(method, path, *, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    connection.request(
        method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})}
    )
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def _cookies(response) -> dict:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def _sign_in(username: str) -> dict:
    page = _request("GET", "/accounts/login/")
    csrf = _cookies(page)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
    origin = f"https://127.0.0.1:{PORT}"
    done = _request(
        "POST",
        "/accounts/login/",
        body=f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
        },
    )
    cookies = _cookies(done)
    if done.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"{username} could not sign in: {done.status}")
    return {"sessionid": cookies["sessionid"], "csrftoken": cookies.get("csrftoken", csrf)}


def _gunicorn(workers: int):
    log = (WORK / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env={**os.environ, **ENV, "WEB_CONCURRENCY": str(workers)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError((WORK / "gunicorn.log").read_text())
        try:
            if _request("GET", "/healthz").status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer within 60 s")
        time.sleep(0.2)


def _locust(name: str, users: list[str], count: int, seconds: int, sessions: Path) -> dict:
    """Run one headless phase; its aggregated row from locust's CSV."""
    prefix = WORK / name
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{PORT}",
        "-u",
        str(count),
        "-r",
        str(count),
        "-t",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *users,
    ]
    env = {
        **os.environ,
        "LOAD_SESSIONS": str(sessions),
        "LOAD_PDF": str(WORK / "evidence.pdf"),
    }
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    print(f"--- {name}")
    print(result.stdout[-6000:] or result.stderr[-3000:])
    with open(f"{prefix}_stats.csv") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    return rows["Aggregated"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    server = None
    _database("create")
    try:
        started = time.perf_counter()
        people = _build()
        print(f"built the centre in {time.perf_counter() - started:.1f} s")
        server = _gunicorn(args.workers)
        sessions = {
            role: [{**p, **_sign_in(p["username"])} for p in group]
            for role, group in people.items()
        }
        path = WORK / "sessions.json"
        path.write_text(json.dumps(sessions))
        users = sum(len(group) for group in sessions.values())
        floor_seconds = max(10, args.seconds // 4)
        before = os.getloadavg()
        base = _locust("healthz", ["HealthCheck"], users, floor_seconds, path)
        pages = _locust(
            "pages", ["Learner", "Tutor", "Admin"], users, args.seconds - floor_seconds, path
        )
        after = os.getloadavg()
        errors = int(pages["Failure Count"]) + int(base["Failure Count"])
        print(
            f"load average before {before[0]:.1f}, after {after[0]:.1f} "
            f"(2 cores; gunicorn {args.workers} workers and locust share them)"
        )
        print(
            f"load: users={users} rps={float(pages['Requests/s']):.1f} "
            f"p95_ms={pages['95%']} baseline_rps={float(base['Requests/s']):.1f} "
            f"baseline_p95_ms={base['95%']} errors={errors}"
        )
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        _database("drop")
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
