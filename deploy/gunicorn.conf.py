"""gunicorn's settings for the portal (`gunicorn -c deploy/gunicorn.conf.py portal.wsgi`).

Every value can be changed from the environment, so the systemd unit and `bin/serve` share this
file. The app is meant to sit behind a reverse proxy (deploy/nginx/portal.conf) that buffers
slow clients and big uploads, which is what gunicorn's sync workers need.
"""

import os


def _cores() -> int:
    # The cores this process may run on (a container's or a cgroup's share), not the machine's.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Where to listen: "127.0.0.1:8000" for a proxy on the same machine, or "unix:/run/portal.sock".
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# gunicorn's own advice, (2 × cores) + 1; WEB_CONCURRENCY sets it outright.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cores() + 1)
worker_class = "sync"

# A sync worker answering one request does not report to the master, so the timeout must cover
# the longest request: a large evidence file handed over by the proxy, hashed and stored, or a
# checklist PDF rendered cold. The proxy waits as long (proxy_read_timeout in
# deploy/nginx/portal.conf).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

# A worker is replaced after this many requests (staggered), so memory held by a PDF rendering
# or an XLSX export does not accumulate for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10

# Workers report to the master through a file they touch; on a disk that can stall (a busy
# volume, a network disk) that blocks them, so it lives in memory where there is /dev/shm.
if os.path.isdir("/dev/shm"):  # noqa: S108 (a fixed system path, not a temporary file name)
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# The access log goes to stdout and errors to stderr: journald (or the terminal) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The request line, status, size and time in milliseconds, and the address the proxy saw.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "portal"

# gunicorn's runtime control socket (for `gunicornc`) would sit in the user's home by default,
# one path for every instance on the machine; it is off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Load Django once in the master, then fork: workers share its memory and a broken setting fails
# the start at once rather than in a loop of dying workers. Safe because nothing opens a
# database connection or a thread while the app loads; the master closes any connection all
# the same before the first fork (when_ready below), so no two processes share one.
preload_app = True

# The proxy's X-Forwarded-Proto is believed from these addresses only (gunicorn's default is
# the FORWARDED_ALLOW_IPS variable, else 127.0.0.1 and ::1); Django also needs
# BEHIND_TLS_PROXY=1 to trust it.


def when_ready(server):
    from django.db import connections
    from django.urls import get_resolver

    # Import every URL module and view once here, so the workers inherit them through the fork
    # instead of each paying for it on its first request.
    get_resolver().url_patterns  # noqa: B018 (read for its side effect: the imports)
    connections.close_all()
