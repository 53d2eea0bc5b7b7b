"""A Mosquitto of our own, for the tests and the benchmark: shipped settings (ioc/mosquitto/tiendo.conf),
a loopback port, a persistence directory that survives `restart()`. Never the machine's broker,
whose settings (max_queued_messages 1000 by default) we do not control."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SHIPPED_CONF = Path(__file__).parent / "mosquitto" / "tiendo.conf"


class BrokerUnavailableError(RuntimeError):
    pass


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Mosquitto:
    """`start()`, `stop()` (SIGTERM: the broker saves its sessions), `kill()`, `restart()`."""

    def __init__(self, directory: Path, *, port: int | None = None) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerUnavailableError("mosquitto not found (apt-get install mosquitto)")
        self.binary = binary
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self.conf = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        self.conf.write_text(
            SHIPPED_CONF.read_text(encoding="utf-8")
            + f"\nuser {getpass.getuser()}\n"  # as root, mosquitto would switch to `mosquitto`
            + f"listener {self.port} 127.0.0.1\n"
            + f"persistence_location {directory}/\n"
            + f"log_dest file {self.log}\n",
            encoding="utf-8",
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> Mosquitto:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise BrokerUnavailableError(f"mosquitto exited: {error or self.log_tail()}")
            if port_open(self.port):
                return self
            time.sleep(0.05)
        raise BrokerUnavailableError(f"mosquitto did not listen on {self.port}: {self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """A clean stop: the broker writes its sessions and queued messages to disk."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        deadline = time.monotonic() + 5
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
