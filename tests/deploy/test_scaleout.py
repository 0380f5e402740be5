"""Two app servers, one PostgreSQL database, one S3 store, one task worker: nothing a person does
depends on which server answers. A learner uploads through one and her tutor downloads the same
bytes through the other; a cohort print asked for on the second is made by the worker; a session,
the sign-in throttle and the cache hold across them.

Marked `deploy`: CI runs it once, not in each database pass. It makes (and drops) a database of
its own on the PostgreSQL server at 127.0.0.1:5432 and uses the Redis at 127.0.0.1:6379.
"""

import hashlib
import io
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import psycopg2
import pytest
import requests
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from tests.storage.moto_server import free_port, moto_server

pytestmark = pytest.mark.deploy

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "correct-horse-battery-staple-42"
BUCKET = "portal-scaleout"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = ("127.0.0.1", 6379)
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "portal.wsgi"]

# Run by `manage.py shell` in the new database: a centre, its people, one learner's enrolment.
SEED = f"""
import datetime
from accounts.enums import Role
from accounts.models import Centre, User
from accounts.services import role_give
from portfolios import services
from qualifications.models import AwardingBody, Qualification, QualificationUnit, UnitGroup
from tests.portfolios.helpers import make_unit

centre = Centre.objects.create(name="Alpha College", centre_number="A0001")
people = {{}}
for username, role in [("alice", Role.LEARNER), ("bob", Role.TUTOR), ("tess", Role.TUTOR),
                       ("carol", Role.CENTRE_ADMIN), ("dora", Role.LEARNER)]:
    user = User.objects.create_user(username, email=f"{{username}}@example.org",
        password={PASSWORD!r}, first_name=username.capitalize(), last_name="Scaleout")
    role_give(centre=centre, person=user, role=role, by=None)
    people[username] = user
body = AwardingBody.objects.create(short_name="TAB", name="Test Awarding Body")
qualification = Qualification.objects.create(
    number="600/0001/1", title="Level 2 Diploma in Testing", awarding_body=body, level=2)
group = UnitGroup.objects.create(
    qualification=qualification, name="Mandatory units", is_mandatory=True, position=0)
unit = make_unit("A/100/0001", "Deliver customer service", outcomes=1, criteria=2)
QualificationUnit.objects.create(qualification=qualification, unit=unit, group=group, position=0)
enrolment = services.enrolment_create(
    centre=centre, learner=people["alice"], tutor=people["bob"], qualification=qualification,
    units=[unit], registration_number="REG1", start_date=datetime.date(2026, 1, 5),
    planned_end_date=datetime.date(2026, 12, 18), by=people["carol"])
print(f"enrolment={{enrolment.pk}} centre={{centre.pk}} qualification={{qualification.pk}}")
"""


def _reachable(address) -> bool:
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError:
        return False
    return True


def _need(address, what):
    if _reachable(address):
        return
    message = f"{what} is not answering on {address[0]}:{address[1]}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _admin_sql(sql: str) -> None:
    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _run(cmd, env, timeout=120) -> str:
    result = subprocess.run(  # noqa: S603 (this test's own fixed commands)
        cmd, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{cmd}: {result.stdout}{result.stderr}"
    return result.stdout


class Cluster:
    def __init__(self, env, ports, ids, tmp):
        self.env, self.ports, self.ids, self.tmp = env, ports, ids, tmp

    def url(self, instance: int, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[instance]}{path}"


def _wait_for_health(port, process, log):
    deadline = time.monotonic() + 40
    while True:
        assert process.poll() is None, Path(log).read_text()
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, Path(log).read_text()
        time.sleep(0.2)


def _environment(tmp, database, endpoint) -> dict:
    """Production settings, the same for every process of the cluster."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    }
    return {
        **base,
        "DEBUG": "0",
        "SECRET_KEY": "scaleout-" + hashlib.sha256(str(tmp).encode()).hexdigest(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "STORAGE": "s3",
        "STORAGE_DOWNLOADS": "redirect",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "scaleout",
        "AWS_SECRET_ACCESS_KEY": "scaleout",
        # Redis's database 0 may serve others on this machine: keys of our own prefix.
        "CACHE_URL": f"redis://127.0.0.1:6379/0?key_prefix={database}",
        "AXES_FAILURE_LIMIT": "3",
        # Plain HTTP between this test and the servers (no proxy in front here).
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(tmp / "static"),
        # Nothing may be written here: every file goes to the store.
        "MEDIA_ROOT": str(tmp / "no-media"),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "PYTHONUNBUFFERED": "1",
    }


def _prepare(env) -> dict:
    """Migrations and the seed in one lane, collectstatic (compression: the slow one) in another;
    returns the seeded ids."""
    manage = [sys.executable, "manage.py"]

    def database():
        _run([*manage, "migrate", "--noinput", "--verbosity", "0"], env)
        return _run([*manage, "shell", "-c", SEED], env)

    with ThreadPoolExecutor(2) as pool:
        seeded = pool.submit(database)
        static = pool.submit(_run, [*manage, "collectstatic", "--noinput", "--verbosity", "0"], env)
        last_line = seeded.result().strip().splitlines()[-1]
        static.result()
    return {key: int(value) for key, value in (pair.split("=") for pair in last_line.split())}


def _start(cmd, env, log):
    return subprocess.Popen(  # noqa: S603 (gunicorn or the task worker, fixed arguments)
        cmd, cwd=BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    _need((PG["host"], PG["port"]), "PostgreSQL")
    _need(REDIS, "Redis")
    tmp = tmp_path_factory.mktemp("scaleout")
    database = f"portal_scaleout_{os.getpid()}"
    _admin_sql(f"DROP DATABASE IF EXISTS {database}")
    _admin_sql(f"CREATE DATABASE {database}")
    processes = []
    try:
        with moto_server() as endpoint:
            boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="eu-west-2",
                aws_access_key_id="scaleout",
                aws_secret_access_key="scaleout",
            ).create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
            )
            env = _environment(tmp, database, endpoint)
            ids = _prepare(env)
            ports = [free_port(), free_port()]
            try:
                for n, port in enumerate(ports, start=1):
                    bind = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
                    processes.append(_start(GUNICORN, bind, tmp / f"web{n}.log"))
                # One task worker, as bin/serve and portal-worker.service start it.
                processes.append(
                    _start([sys.executable, "manage.py", "db_worker"], env, tmp / "worker.log")
                )
                for n, (port, web) in enumerate(zip(ports, processes, strict=False), start=1):
                    _wait_for_health(port, web, tmp / f"web{n}.log")
                yield Cluster(env, ports, ids, tmp)
            finally:
                # Before the store goes: a worker still printing would fail noisily.
                _stop(processes)
    finally:
        _admin_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    assert not (tmp / "no-media").exists(), "a file went to local disk"


def _csrf(session, url) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text[:2000]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _sign_in(cluster, instance, username, password=PASSWORD) -> requests.Response:
    session = requests.Session()
    login = cluster.url(instance, reverse("login"))
    token = _csrf(session, login)
    response = session.post(
        login,
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": login},
        allow_redirects=False,
        timeout=20,
    )
    response.session = session
    return response


def _signed_in(cluster, instance, username) -> requests.Session:
    response = _sign_in(cluster, instance, username)
    assert response.status_code == 302, response.text[:2000]
    return response.session


def _query(cluster, sql, *args):
    connection = psycopg2.connect(dbname=cluster.env["DATABASE_URL"].rsplit("/", 1)[1], **PG)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()
    finally:
        connection.close()


def test_uploaded_on_one_server_downloaded_from_the_other(cluster):
    content = b"%PDF-1.4\n" + os.urandom(300_000) + b"\n%%EOF\n"
    # A real PDF header is enough for libmagic; the rest is random, so nothing can be guessed.
    alice = _signed_in(cluster, 0, "alice")
    add = cluster.url(0, reverse("evidence_create", args=[cluster.ids["enrolment"]]))
    token = _csrf(alice, add)
    method = _query(cluster, "SELECT id FROM qualifications_evidencemethod ORDER BY id LIMIT 1")
    response = alice.post(
        add,
        data={
            "csrfmiddlewaretoken": token,
            "title": "Shift log",
            "method": method[0][0],
            "date": "2026-02-01",
            "upload_complete": "1",
        },
        files={"files": ("shift log.pdf", content, "application/pdf")},
        headers={"Referer": add},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:3000]
    [(file_id, key, sha256)] = _query(
        cluster, "SELECT id, file, sha256 FROM portfolios_evidencefile"
    )
    assert sha256 == hashlib.sha256(content).hexdigest()
    assert key.startswith("evidence/")

    bob = _signed_in(cluster, 1, "bob")
    download = bob.get(
        cluster.url(1, reverse("evidence_file_download", args=[file_id])),
        allow_redirects=False,
        timeout=10,
    )
    assert download.status_code == 302
    link = download.headers["Location"]
    assert link.startswith(f"{cluster.env['AWS_S3_ENDPOINT_URL']}/{BUCKET}/{key}?")
    assert int(parse_qs(urlsplit(link).query)["X-Amz-Expires"][0]) <= 60
    fetched = requests.get(link, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == content
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="shift log.pdf"'

    # Another tutor of the centre, not hers, gets nothing from either server.
    tess = _signed_in(cluster, 0, "tess")
    for instance in (0, 1):
        refused = tess.get(
            cluster.url(instance, reverse("evidence_file_download", args=[file_id])),
            allow_redirects=False,
            timeout=10,
        )
        assert refused.status_code == 404
        assert "Location" not in refused.headers


def test_a_session_from_one_server_is_good_on_the_other(cluster):
    alice = _signed_in(cluster, 0, "alice")
    portfolio = reverse("portfolio", args=[cluster.ids["enrolment"]])
    for instance in (1, 0, 1):
        page = alice.get(cluster.url(instance, portfolio), allow_redirects=False, timeout=10)
        assert page.status_code == 200
        assert "Alice Scaleout" in page.text
    alice.post(
        cluster.url(1, reverse("logout")),
        data={"csrfmiddlewaretoken": alice.cookies["csrftoken"]},
        headers={"Referer": cluster.url(1, "/")},
        timeout=10,
    )
    # Signed out on the second server: the first no longer knows her either.
    page = alice.get(cluster.url(0, "/"), allow_redirects=False, timeout=10)
    assert page.status_code == 302
    assert page.headers["Location"].startswith(reverse("login"))


def test_failed_sign_ins_on_one_server_lock_out_on_the_other(cluster):
    # AXES_FAILURE_LIMIT=3, counted across both servers: the third failure locks her out.
    answers = [
        _sign_in(cluster, instance, "dora", password="not-her-password").status_code
        for instance in (0, 1, 0)
    ]
    assert answers == [200, 200, 429]
    locked = _sign_in(cluster, 1, "dora")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert "sessionid" not in locked.session.cookies


def test_a_cohort_print_asked_for_on_one_server_is_made_by_the_worker(cluster):
    carol = _signed_in(cluster, 1, "carol")
    cohorts = cluster.url(1, reverse("cohort_print_list", args=[cluster.ids["centre"]]))
    token = _csrf(carol, cohorts)
    asked = carol.post(
        cohorts,
        data={
            "csrfmiddlewaretoken": token,
            "qualification": cluster.ids["qualification"],
            "layout": "achievement",
        },
        headers={"Referer": cohorts},
        allow_redirects=False,
        timeout=20,
    )
    assert asked.status_code == 302, asked.text[:2000]
    [(print_id,)] = _query(cluster, "SELECT id FROM checklists_cohortprint")
    deadline = time.monotonic() + 45
    while True:
        [(status, name)] = _query(
            cluster, "SELECT status, pdf FROM checklists_cohortprint WHERE id = %s", print_id
        )
        if status in ("done", "failed"):
            break
        assert time.monotonic() < deadline, (cluster.tmp / "worker.log").read_text()
        time.sleep(0.5)
    assert (status, name) == ("done", f"checklists/cohorts/cohort-{print_id}.pdf")

    download = carol.get(
        cluster.url(0, reverse("cohort_print_download", args=[print_id])),
        allow_redirects=False,
        timeout=10,
    )
    assert download.status_code == 302
    pdf = requests.get(download.headers["Location"], timeout=10)
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Alice Scaleout" in text
    assert "A/100/0001" in text


def test_the_cache_is_shared_between_processes(cluster):
    manage = [sys.executable, "manage.py", "shell", "-c"]
    token = hashlib.sha256(os.urandom(16)).hexdigest()
    backend = _run(
        [
            *manage,
            "from django.core.cache import cache; "
            f"cache.set('scaleout-probe', '{token}', 60); "
            "print(type(cache._cache).__name__ if hasattr(cache, '_cache') else type(cache))",
        ],
        cluster.env,
    )
    assert backend.split()[-1] == "RedisCacheClient"
    seen = _run(
        [*manage, "from django.core.cache import cache; print(cache.get('scaleout-probe'))"],
        cluster.env,
    )
    assert seen.split()[-1] == token
