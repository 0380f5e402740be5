"""moto's S3 server in a process of its own on 127.0.0.1, for the storage and scale-out tests.

A process of its own, not a thread of the test's: what the store holds and buffers must not count
towards the memory the app is measured to use, and the app servers of tests/deploy reach it
over the network like a real store.
"""

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server():
    """Yields the endpoint URL (http://127.0.0.1:PORT) while the server runs."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (moto's own server, fixed arguments)
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                # moto's own health page; any answer means it listens.
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310
                break
            except OSError:
                assert time.monotonic() < deadline, "moto's server did not start in 30 s"
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
