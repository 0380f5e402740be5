"""Benchmark: the portfolio page at two sizes, and a 1 GB evidence upload's memory.

Run from the project root:  .venv/bin/python bench/portfolio.py  [--upload-mb 1024] [--runs 7]

It builds everything it needs in a temporary folder (its own SQLite database and MEDIA_ROOT)
and removes it afterwards. It measures:

* the portfolio page (server time, median of --runs requests, and database queries) for a
  learner on one unit (J/507/1557) and for a learner on the whole diploma 601/3734/4 (39 units,
  535 criteria) with 300 evidence items whose mappings together cover all 535 criteria;
* the peak resident memory (VmHWM) of a `manage.py runserver --noreload` process while a 1 GB
  file is streamed to it in a multipart body from a generator (the file never exists whole,
  in the client or, if uploads stream as they should, in the server).

The last line is machine-readable:
portfolio: queries_1unit=N queries_full=N ms_1unit=N ms_full=N upload_1gb_peak_mb=N
           evidence_page_queries_1=N evidence_page_queries_30=N
(the evidence page of an item covering 1 and 30 criteria, each judged: they must be equal)
"""

import argparse
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
    "MEDIA_ROOT": str(WORK / "media"),
    "FILE_UPLOAD_TEMP_DIR": str(WORK / "upload-tmp"),
    # The upload limit is raised for the benchmark only.
    "EVIDENCE_MAX_FILE_MB": "2048",
    "LOG_LEVEL": "WARNING",
    # The in-process test client calls itself "testserver".
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
}
os.environ.update(ENV)
(WORK / "upload-tmp").mkdir()

import django  # noqa: E402 (settings come from the environment set just above)

django.setup()

import datetime  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.enums import Role  # noqa: E402
from accounts.models import Centre, Membership, User  # noqa: E402
from portfolios import services  # noqa: E402
from portfolios.models import EvidenceCriterion, EvidenceFile  # noqa: E402
from qualifications.models import EvidenceMethod, Qualification, Unit  # noqa: E402

MB = 1024 * 1024


def person(username: str, centre, *roles) -> User:
    user = User.objects.create_user(username, password=uuid.uuid4().hex, first_name=username)
    for role in roles:
        Membership.objects.create(user=user, centre=centre, role=role)
    return user


def build() -> dict:
    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0, stdout=io.StringIO())
    centre = Centre.objects.create(name="Bench College", centre_number="BENCH1")
    admin = person("admin", centre, Role.CENTRE_ADMIN)
    tutor = person("tutor", centre, Role.TUTOR)
    small_learner = person("small", centre, Role.LEARNER)
    full_learner = person("full", centre, Role.LEARNER)
    method = EvidenceMethod.objects.get(slug="reflective-account")
    start, end = datetime.date(2026, 1, 5), datetime.date(2026, 12, 18)

    small = services.enrolment_create(
        centre=centre,
        learner=small_learner,
        tutor=tutor,
        qualification=None,
        units=[Unit.objects.get(code="J/507/1557")],
        start_date=start,
        planned_end_date=end,
        by=admin,
    )
    small_criteria = list(small.units.values_list("criteria", flat=True))
    for i in range(3):
        services.evidence_create(
            enrolment=small,
            by=small_learner,
            title=f"Short-course evidence {i + 1}",
            method=method,
            date=start,
            text="A reflective account.",
            criteria=small_criteria[i * 4 : i * 4 + 4],
        )

    diploma = Qualification.objects.get(number="601/3734/4")
    full = services.enrolment_create(
        centre=centre,
        learner=full_learner,
        tutor=tutor,
        qualification=diploma,
        units=list(diploma.units.all()),
        start_date=start,
        planned_end_date=end,
        by=admin,
    )
    criteria = list(
        full.units.order_by("enrolment_units__position").values_list("criteria", flat=True)
    )
    items = []
    for i in range(300):
        # Four criteria each, marching through all 535 (and round again): every criterion has
        # evidence, most have two or three items, as a real portfolio late in the course.
        mapped = {criteria[(i * 4 + k) % len(criteria)] for k in range(4)}
        items.append(
            services.evidence_create(
                enrolment=full,
                by=full_learner,
                title=f"Evidence item {i + 1}",
                method=method,
                date=start,
                text="A reflective account of work with customers.",
                criteria=mapped,
            )
        )
    services.evidence_submit(items=items[:200], by=full_learner, declaration_confirmed=True)
    # Two items for the evidence page: one covering 1 criterion, one covering 30, every
    # criterion judged, so each row shows an outcome with the tutor's feedback.
    judged = {}
    for size in (1, 30):
        item = services.evidence_create(
            enrolment=full,
            by=full_learner,
            title=f"Covers {size}",
            method=method,
            date=start,
            text="A reflective account.",
            criteria=criteria[:size],
        )
        services.evidence_submit(items=[item], by=full_learner, declaration_confirmed=True)
        judge(full, tutor, item, criteria[:size])
        judged[size] = item
    covered = (
        EvidenceCriterion.objects.filter(evidence__enrolment=full)
        .values("criterion")
        .distinct()
        .count()
    )
    return {
        "small": small,
        "full": full,
        "small_learner": small_learner,
        "full_learner": full_learner,
        "criteria": len(criteria),
        "covered": covered,
        "links": EvidenceCriterion.objects.filter(evidence__enrolment=full).count(),
        "judged": judged,
    }


def judge(enrolment, tutor, item, criterion_ids) -> None:
    """The tutor decides every criterion of the item: every third not yet met, with feedback."""
    from moderation import services as moderation_services
    from portfolios.models import CriterionDecision

    moderation_services.criteria_decide(
        enrolment=enrolment,
        by=tutor,
        decided_on=datetime.date(2026, 3, 2),
        requests=[
            moderation_services.DecisionRequest(
                criterion_id=cid,
                outcome="not_yet_met" if i % 3 == 0 else "met",
                feedback="Add a second example." if i % 3 == 0 else "",
                seen_id=CriterionDecision.objects.filter(enrolment=enrolment, criterion_id=cid)
                .latest()
                .values_list("pk", flat=True)
                .first(),
            )
            for i, cid in enumerate(criterion_ids)
        ],
        evidence=item,
    )


def measure_queries(user, url) -> int:
    client = Client()
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def measure_page(user, enrolment, runs: int) -> tuple[int, float, int]:
    client = Client()
    client.force_login(user)
    url = reverse("portfolio", args=[enrolment.pk])
    client.get(url)  # warm: templates compiled, session settled
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries.captured_queries), statistics.median(times), len(response.content)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def multipart_stream(boundary: str, fields, file_field: str, filename: str, size: int, hasher):
    """Yield a multipart body whose one file is `size` bytes made up on the fly."""
    head = b""
    for name, value in fields:
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="upload_complete"\r\n\r\n1\r\n'
        f"--{boundary}--\r\n"
    ).encode()

    def file_chunks():
        start = b"%PDF-1.4\n% bench upload\n"
        end = b"\n%%EOF\n"
        filler = (b"0123456789abcdef" * 4096) + b"\n"  # 64 KiB + 1 of harmless comment bytes
        yield start
        remaining = size - len(start) - len(end)
        while remaining > 0:
            chunk = filler[: min(len(filler), remaining)]
            remaining -= len(chunk)
            yield chunk
        yield end

    def body():
        yield head
        for chunk in file_chunks():
            hasher.update(chunk)
            yield chunk
        yield tail

    length = len(head) + size + len(tail)
    return length, body()


def measure_upload(enrolment, learner, size: int) -> dict:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py, fixed arguments)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # up to a minute on a busy machine
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        client = Client()
        client.force_login(learner)
        session = client.cookies["sessionid"].value
        path = reverse("evidence_create", args=[enrolment.pk])

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        page = conn.getresponse()
        page.read()
        assert page.status == 200, page.status
        csrf = next(
            c.split("=", 1)[1].split(";")[0]
            for c in page.headers.get_all("Set-Cookie")
            if c.startswith("csrftoken=")
        )
        conn.close()

        rss_before = status_kb(server.pid, "VmRSS")
        # Forget the peak so far (start-up, the GET), so VmHWM is the upload's own peak.
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        method = EvidenceMethod.objects.get(slug="reflective-account")
        boundary = uuid.uuid4().hex
        hasher = hashlib.sha256()
        length, body = multipart_stream(
            boundary,
            [
                ("csrfmiddlewaretoken", csrf),
                ("title", "One gigabyte of video evidence"),
                ("method", method.pk),
                ("date", "2026-02-01"),
            ],
            "files",
            "big-evidence.pdf",
            size,
            hasher,
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(length))
        conn.putheader("Cookie", f"sessionid={session}; csrftoken={csrf}")
        conn.putheader("X-Requested-With", "XMLHttpRequest")
        conn.endheaders()
        started = time.perf_counter()
        samples = []
        sent = 0
        for chunk in body:
            conn.send(chunk)
            sent += len(chunk)
            if sent % (64 * MB) < len(chunk):
                samples.append(status_kb(server.pid, "VmRSS"))
        response = conn.getresponse()
        answer = response.read()
        seconds = time.perf_counter() - started
        peak_kb = status_kb(server.pid, "VmHWM")
        assert response.status == 200, (response.status, answer[:500])
        assert "redirect" in json.loads(answer)
        stored = EvidenceFile.objects.get(name="big-evidence.pdf")
        return {
            "status": response.status,
            "seconds": seconds,
            "rss_before_mb": rss_before / 1024,
            "rss_max_sampled_mb": max(samples) / 1024 if samples else 0,
            "peak_mb": peak_kb / 1024,
            "stored_size": stored.size,
            "sha_ok": stored.sha256 == hasher.hexdigest(),
        }
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--upload-mb", type=int, default=1024)
    args = parser.parse_args()
    try:
        started = time.perf_counter()
        data = build()
        build_seconds = time.perf_counter() - started
        q1, ms1, bytes1 = measure_page(data["small_learner"], data["small"], args.runs)
        qf, msf, bytesf = measure_page(data["full_learner"], data["full"], args.runs)
        ev1, ev30 = (
            measure_queries(
                data["full_learner"], reverse("evidence_detail", args=[data["judged"][n].pk])
            )
            for n in (1, 30)
        )
        upload = measure_upload(data["small"], data["small_learner"], args.upload_mb * MB)

        print(f"Built the data in {build_seconds:.1f} s in {WORK}")
        print(
            f"Full diploma: {data['criteria']} criteria, 300 evidence items, "
            f"{data['links']} mappings covering {data['covered']} criteria"
        )
        print()
        print(f"{'measurement':<54}{'value':>14}")
        print("-" * 68)
        rows = [
            ("portfolio page, 1 unit: queries", f"{q1}"),
            ("portfolio page, 1 unit: server ms (median)", f"{ms1:.1f}"),
            ("portfolio page, 1 unit: HTML KB", f"{bytes1 / 1024:.0f}"),
            ("portfolio page, 39 units: queries", f"{qf}"),
            ("portfolio page, 39 units: server ms (median)", f"{msf:.1f}"),
            ("portfolio page, 39 units: HTML KB", f"{bytesf / 1024:.0f}"),
            ("evidence page, 1 criterion judged: queries", f"{ev1}"),
            ("evidence page, 30 criteria judged: queries", f"{ev30}"),
            (f"upload {args.upload_mb} MB: seconds", f"{upload['seconds']:.1f}"),
            (
                f"upload {args.upload_mb} MB: server RSS before, MB",
                f"{upload['rss_before_mb']:.0f}",
            ),
            (
                f"upload {args.upload_mb} MB: server RSS max sampled, MB",
                f"{upload['rss_max_sampled_mb']:.0f}",
            ),
            (
                f"upload {args.upload_mb} MB: server peak RSS (VmHWM), MB",
                f"{upload['peak_mb']:.0f}",
            ),
            (f"upload {args.upload_mb} MB: stored bytes", f"{upload['stored_size']}"),
            (f"upload {args.upload_mb} MB: SHA-256 matches", f"{upload['sha_ok']}"),
        ]
        for label, value in rows:
            print(f"{label:<54}{value:>14}")
        print()
        print(
            f"portfolio: queries_1unit={q1} queries_full={qf} ms_1unit={round(ms1)} "
            f"ms_full={round(msf)} upload_1gb_peak_mb={round(upload['peak_mb'])} "
            f"evidence_page_queries_1={ev1} evidence_page_queries_30={ev30}"
        )
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
