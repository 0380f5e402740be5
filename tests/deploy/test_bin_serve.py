"""`bin/serve` refuses to start without what production needs, says what is missing, and starts
nothing (it stops before setting anything up)."""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

BIN_SERVE = Path(settings.BASE_DIR) / "bin" / "serve"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#kq!v2-production-like-secret-key-with-enough-entropy-9f3a1c",
    "ALLOWED_HOSTS": "portfolio.example.ac.uk",
}


def _serve(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    env.update({k: v for k, v in {**PRODUCTION, **overrides}.items() if v is not None})
    return subprocess.run(  # noqa: S603 (the repository's own script)
        [str(BIN_SERVE)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_bin_serve_refuses_to_start_without_secret_key():
    result = _serve(SECRET_KEY=None)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[:2] == [
        "bin/serve: refusing to start; production needs these environment variables:",
        "  - SECRET_KEY (a long random string: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))')",
    ]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"DEBUG": None}, "DEBUG=0"),
        ({"DEBUG": "1"}, "DEBUG=0"),
        ({"DEBUG": "true"}, "DEBUG=0"),
    ],
    ids=["empty-secret-key", "no-allowed-hosts", "debug-unset", "debug-on", "debug-true"],
)
def test_bin_serve_names_exactly_what_is_missing(overrides, named):
    result = _serve(**overrides)
    assert result.returncode == 2
    missing = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(missing) == 1
    assert missing[0].startswith(f"  - {named} ")


def test_bin_serve_lists_everything_missing_at_once():
    result = _serve(SECRET_KEY=None, ALLOWED_HOSTS=None, DEBUG=None)
    assert result.returncode == 2
    missing = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert missing == ["SECRET_KEY", "ALLOWED_HOSTS", "DEBUG=0"]
    assert "bin/run serves a development copy without them." in result.stderr
