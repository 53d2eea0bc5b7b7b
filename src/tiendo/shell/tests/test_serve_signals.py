"""The probe's reproducer: `tiendo serve` ignored SIGTERM while a request ran for minutes. A real
server process now stops within its graceful timeout."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/fast", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the server did not start")


def start(port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tiendo.shell.tests.slow_settings"}
    command = [
        sys.executable,
        "-c",
        "from tiendo.cli import main; main()",
        "serve",
        "--port",
        str(port),
        *extra,
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stops_the_server_within_the_graceful_timeout_during_a_stuck_request(workers):
    port = free_port()
    server = start(port, "--graceful-timeout", "1", "--workers", workers)
    try:
        wait_until_serving(port, server)

        def stuck() -> None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/slow", timeout=150).read()
            except OSError:
                pass  # the server went away: what this test wants

        threading.Thread(target=stuck, daemon=True).start()
        time.sleep(1.5)  # the request is inside the view, sleeping
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)  # before the fix: the 120 s of the request, or for ever
        assert time.monotonic() - started < 10
        assert server.returncode in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
