"""gunicorn with the repository's configuration and production settings, as `bin/serve` runs it,
on a port of its own against a fresh SQLite database: health, static files, signing in."""

import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
USERNAME = "opsadmin"
PASSWORD = "correct-horse-battery-staple-42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _production_environment(tmp: Path, port: int) -> dict:
    # The browser tests allow async-unsafe calls for this process; production must not.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": "t3st-" + hashlib.sha256(str(tmp).encode()).hexdigest(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp / "static"),
        "MEDIA_ROOT": str(tmp / "media"),
        # As behind deploy/nginx/portal.conf: the proxy on 127.0.0.1 says the visitor used TLS.
        "BEHIND_TLS_PROXY": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    }


def _run_lanes(lanes, env):
    """Runs each lane's commands in order, the lanes side by side (collectstatic's compression
    is the slow one)."""

    def lane(commands):
        for cmd in commands:
            result = subprocess.run(  # noqa: S603 (this test's own fixed commands)
                cmd, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
            )
            assert result.returncode == 0, f"{cmd}: {result.stdout}{result.stderr}"

    with ThreadPoolExecutor(len(lanes)) as pool:
        for future in [pool.submit(lane, commands) for commands in lanes]:
            future.result()


def _cookies(response) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar


class Site:
    def __init__(self, port: int):
        self.port = port

    def request(self, method, path, *, headers=None, body=None, https=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = dict(headers or {})
        if https:
            headers["X-Forwarded-Proto"] = "https"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response


@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = _production_environment(tmp, port)
    manage = [sys.executable, "manage.py"]
    _run_lanes(
        [
            [
                [*manage, "migrate", "--noinput", "--verbosity", "0"],
                [
                    *manage,
                    "createsuperuser",
                    "--noinput",
                    "--username",
                    USERNAME,
                    "--email",
                    "ops@example.org",
                ],
            ],
            [[*manage, "collectstatic", "--noinput", "--verbosity", "0"]],
        ],
        {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    log = (tmp / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "portal.wsgi"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    site = Site(port)
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, Path(log.name).read_text()
        try:
            site.healthz = site.request("GET", "/healthz", https=False)
            break
        except OSError:
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.2)
    site.server, site.log_path = server, Path(log.name)
    yield site
    if server.poll() is None:
        server.kill()
        server.wait()
    log.close()


def test_healthz_answers_ok_over_plain_http(production_site):
    # The monitor's probe is exempt from the HTTPS redirect.
    response = production_site.healthz
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok", "database": "ok"}
    assert "no-cache" in response.getheader("Cache-Control")


def test_pages_over_plain_http_are_redirected_to_https(production_site):
    response = production_site.request("GET", "/accounts/login/", https=False)
    assert response.status == 301
    assert response.getheader("Location") == (
        f"https://127.0.0.1:{production_site.port}/accounts/login/"
    )


def test_static_files_are_served_hashed_compressed_and_cached_for_ever(production_site):
    page = production_site.request("GET", "/accounts/login/")
    assert page.status == 200
    css = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.body)
    assert css, page.body[:2000]

    response = production_site.request("GET", css.group(1).decode())
    assert response.status == 200
    assert response.getheader("Content-Type") == 'text/css; charset="utf-8"'
    assert response.body == (BASE_DIR / "static" / "css" / "app.css").read_bytes()
    assert "immutable" in response.getheader("Cache-Control")
    assert "max-age=315360000" in response.getheader("Cache-Control")

    compressed = production_site.request(
        "GET", css.group(1).decode(), headers={"Accept-Encoding": "gzip"}
    )
    assert compressed.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(compressed.body) == response.body

    script = production_site.request("GET", "/static/vendor/htmx/htmx.min.js")
    assert script.status == 200
    assert script.getheader("Content-Type") == 'text/javascript; charset="utf-8"'

    assert production_site.request("GET", "/static/no-such-file.css").status == 404


def test_signing_in_works_over_it(production_site):
    site = production_site
    origin = f"https://127.0.0.1:{site.port}"
    page = site.request("GET", "/accounts/login/")
    assert page.status == 200
    assert b'name="username"' in page.body
    cookies = _cookies(page)
    csrf_cookie = cookies["csrftoken"]
    assert csrf_cookie["secure"] is True
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)

    body = f"csrfmiddlewaretoken={token.decode()}&username={USERNAME}&password={PASSWORD}"
    signed_in = site.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.value}",
            "Origin": origin,
        },
    )
    assert signed_in.status == 302, signed_in.body[:2000]
    assert signed_in.getheader("Location") == "/"
    session = _cookies(signed_in)["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True

    # Staff without a role at a centre are sent on to the site admin.
    signed_in_cookie = {"Cookie": f"sessionid={session.value}"}
    dashboard = site.request("GET", "/", headers=signed_in_cookie)
    assert dashboard.status == 302
    assert dashboard.getheader("Location") == "/admin/"
    admin = site.request("GET", "/admin/", headers=signed_in_cookie)
    assert admin.status == 200
    assert f"<strong>{USERNAME}</strong>".encode() in admin.body
    assert "no-store" in admin.getheader("Cache-Control")
    assert re.search(rb'href="/static/admin/css/base\.[0-9a-f]{12}\.css"', admin.body)

    # A forged post (no CSRF token) signs no one in.
    forged = site.request(
        "POST",
        "/accounts/login/",
        body=f"username={USERNAME}&password={PASSWORD}",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin},
    )
    assert forged.status == 403
    assert "sessionid" not in _cookies(forged)


def test_the_proxy_example_keeps_the_apps_upload_limit_and_timeout():
    conf = (BASE_DIR / "deploy" / "nginx" / "portal.conf").read_text()
    body_mb = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    files_mb = settings.EVIDENCE_MAX_FILES_PER_POST * settings.EVIDENCE_MAX_FILE_MB
    assert files_mb <= body_mb <= files_mb + 100  # the largest post, plus room for the form
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", conf).group(1))
    gunicorn_conf = (BASE_DIR / "deploy" / "gunicorn.conf.py").read_text()
    assert f'os.environ.get("GUNICORN_TIMEOUT", "{read_timeout}")' in gunicorn_conf


@pytest.fixture(scope="module")
def proxy(production_site, tmp_path_factory):
    """deploy/nginx/portal.conf in front of the gunicorn above, on ports of its own."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: bin/setup --dev installs it"
    tmp = tmp_path_factory.mktemp("proxy")
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    subprocess.run(  # noqa: S603 (a throwaway self-signed certificate)
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tmp / "key.pem"),
            "-out",
            str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    http_port, https_port = _free_port(), _free_port()
    site = (BASE_DIR / "deploy" / "nginx" / "portal.conf").read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{production_site.port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/letsencrypt/live/portfolio.example.org/fullchain.pem", str(tmp / "cert.pem")),
        ("/etc/letsencrypt/live/portfolio.example.org/privkey.pem", str(tmp / "key.pem")),
        ("/var/lib/nginx/body", str(tmp / "body")),
    ]:
        assert old in site
        site = site.replace(old, new)
    (tmp / "site.conf").write_text(site)
    (tmp / "nginx.conf").write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\ndaemon off;\nevents {{}}\n"
        f"http {{ access_log {tmp}/access.log; include {tmp}/site.conf; }}\n"
    )
    server = subprocess.Popen(  # noqa: S603 (Debian's nginx with the file written above)
        [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while True:
        assert server.poll() is None, server.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    yield http_port, https_port
    server.terminate()
    server.wait(timeout=10)


def test_behind_the_proxy_example_https_reaches_the_app_and_http_is_redirected(proxy):
    http_port, https_port = proxy
    plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    plain.request("GET", "/accounts/login/")
    response = plain.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == "https://127.0.0.1/accounts/login/"

    # The test's own certificate: nothing to verify it against.
    context = ssl._create_unverified_context()  # noqa: S323
    secure = http.client.HTTPSConnection("127.0.0.1", https_port, timeout=10, context=context)
    secure.request("GET", "/accounts/login/")
    response = secure.getresponse()
    body = response.read()
    # No redirect loop: the app believed the proxy's X-Forwarded-Proto.
    assert response.status == 200
    assert b'name="username"' in body
    assert "max-age=31536000" in response.getheader("Strict-Transport-Security")
    assert "Secure" in response.getheader("Set-Cookie")


def test_zz_gunicorn_stops_cleanly_on_term_and_logged_each_request(production_site):
    # Named to run last in this module: it stops the shared server.
    server = production_site.server
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=20) == 0
    log = production_site.log_path.read_text()
    assert "Shutting down: Master" in log
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 \d+ \d+ms', log), log
    assert "Traceback" not in log
