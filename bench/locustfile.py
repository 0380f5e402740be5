"""The simulated users of `bench/load.py` (not meant to be run on its own).

Each user is one person, signed in beforehand (`LOAD_SESSIONS`: a JSON file of their session
and CSRF cookies, and what they work on), with no think time: learners open their portfolio
and upload a 1-5 MB PDF; tutors open their queue, then an item waiting in it, and record a
decision on it; centre admins open the centre's dashboard. `HealthCheck` only asks `/healthz`:
the floor the pages are compared with. Requests carry `X-Forwarded-Proto: https`, as the
reverse proxy in front of gunicorn sends (deploy/nginx/portal.conf).
"""

import itertools
import json
import os
import random
import re
import threading

from locust import FastHttpUser, task

SESSIONS = json.loads(open(os.environ["LOAD_SESSIONS"]).read())  # noqa: SIM115 (read once)
_next = {role: itertools.count() for role in ("learner", "tutor", "admin")}
_lock = threading.Lock()

ASSESS = re.compile(r'href="(/moderation/evidence/(\d+)/assess/)"')
SEEN = re.compile(r'name="seen_(\d+)"(?: value="(\d*)")?')
# One PDF per size, made once: a real one-page PDF padded to 1-5 MB (its type is found from
# its first bytes).
PDF = open(os.environ["LOAD_PDF"], "rb").read()  # noqa: SIM115 (read once)
PADDED = {mb: PDF + b"\n%" + b"x" * (mb * 1024 * 1024 - len(PDF)) for mb in range(1, 6)}


def _person(role: str) -> dict:
    with _lock:
        people = SESSIONS[role]
        return people[next(_next[role]) % len(people)]


class _Signed(FastHttpUser):
    abstract = True
    role = ""

    def on_start(self):
        self.me = _person(self.role)
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": f"sessionid={self.me['sessionid']}; csrftoken={self.me['csrftoken']}",
            "Origin": f"https://{self.host.split('://', 1)[1]}",
            "X-CSRFToken": self.me["csrftoken"],
        }

    def get(self, path, name=None):
        with self.client.get(
            path, headers=self.headers, name=name or path, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            return response

    def post(self, path, *, data=None, files=None, name=None):
        headers = {**self.headers, "Referer": f"{self.headers['Origin']}{path}"}
        with self.client.post(
            path,
            data=data,
            files=files,
            headers=headers,
            name=name or path,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A saved form answers with a redirect; the form again (200/400) is a refusal.
            if response.status_code != 302:
                response.failure(f"{response.status_code}: not saved")
            return response


class Learner(_Signed):
    role = "learner"
    fixed_count = 30

    @task(3)
    def portfolio(self):
        self.get(f"/portfolios/{self.me['enrolment']}/", name="learner: portfolio")

    @task(1)
    def upload(self):
        mb = random.randint(1, 5)
        self.post(
            f"/portfolios/{self.me['enrolment']}/evidence/add/",
            data={
                "title": f"Witness statement ({mb} MB)",
                "method": str(self.me["method"]),
                "date": self.me["today"],
                "text": "",
                "upload_complete": "1",
                "csrfmiddlewaretoken": self.me["csrftoken"],
            },
            files={"files": (f"statement-{mb}mb.pdf", PADDED[mb], "application/pdf")},
            name="learner: upload 1-5 MB",
        )


class Tutor(_Signed):
    role = "tutor"
    fixed_count = 15

    @task
    def queue_and_decide(self):
        queue = self.get("/moderation/queue/", name="tutor: queue")
        found = ASSESS.findall(queue.text or "")
        if not found:
            return
        path, _ = random.choice(found)
        page = self.get(path, name="tutor: evidence to assess")
        seen = SEEN.findall(page.text or "")
        if not seen:
            return
        criterion, last = seen[0]
        self.post(
            path,
            data={
                "decided_on": self.me["today"],
                f"outcome_{criterion}": "not_yet_met",
                f"feedback_{criterion}": "Say what the customer asked for, in their words.",
                f"seen_{criterion}": last,
                "feedback": "",
                "csrfmiddlewaretoken": self.me["csrftoken"],
            },
            name="tutor: record a decision",
        )


class Admin(_Signed):
    role = "admin"
    fixed_count = 5

    @task
    def dashboard(self):
        self.get(self.me["dashboard"], name="admin: centre dashboard")


class HealthCheck(FastHttpUser):
    @task
    def healthz(self):
        self.client.get("/healthz", name="/healthz")
