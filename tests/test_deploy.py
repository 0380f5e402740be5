"""Production settings pass Django's deployment checks; what is sent says no more than it must."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse


def _environment(**overrides):
    # The browser tests allow async-unsafe calls for this process; production must not.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **overrides}


def test_check_deploy_passes_with_production_settings():
    env = _environment(
        DEBUG="0",
        SECRET_KEY="x7#kq!v2-production-like-secret-key-with-enough-entropy-9f3a1c",
        ALLOWED_HOSTS="portfolio.example.ac.uk",
        DATABASE_URL="postgres://portal@127.0.0.1:5432/portal",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_to_start_without_secret_key_in_production():
    env = _environment(DEBUG="0", SECRET_KEY="")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# ---------------------------------------------------------------- /healthz


def test_healthz_when_the_database_is_down_names_no_host_port_or_role():
    # A real unreachable database (nothing listens on port 9), in a process of its own.
    script = (
        "import django; django.setup()\n"
        "from django.test.utils import setup_test_environment; setup_test_environment()\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(response.status_code, response.content.decode())\n"
    )
    env = _environment(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL="postgres://secretrole@127.0.0.1:9/secretdb",
    )
    result = subprocess.run(  # noqa: S603 (a fixed script of this test, run by this Python)
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "unavailable"}
    for secret in ("127.0.0.1", "9", "secretrole", "secretdb", "port"):
        assert secret not in body
    assert "127.0.0.1" in result.stderr  # the operator's log still has the reason


# ---------------------------------------------------------------- Cache-Control


@pytest.fixture
def signed_in(client, centre_admin):
    client.force_login(centre_admin)
    return client


@pytest.mark.parametrize(
    "url",
    [
        lambda centre: reverse("dashboard"),
        lambda centre: reverse("catalogue"),
        lambda centre: reverse("centre_detail", args=[centre.pk]),
        lambda centre: reverse("progress_export", args=[centre.pk, "csv"]),
        lambda centre: reverse("progress_export", args=[centre.pk, "xlsx"]),
        lambda centre: "/no-such-page/",
    ],
    ids=["dashboard", "catalogue", "people", "export-csv", "export-xlsx", "not-found"],
)
def test_what_a_signed_in_person_is_sent_is_never_stored(signed_in, centre, url):
    response = signed_in.get(url(centre))
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_static_files_stay_cacheable_when_signed_in(client, centre_admin, settings):
    # WhiteNoise serves from the source folders here, as it does under DEBUG.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(centre_admin)
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "max-age" in response.headers["Cache-Control"]
