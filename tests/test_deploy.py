"""Production settings pass Django's deployment checks."""

import os
import subprocess
import sys

from django.conf import settings


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
