"""Run a piece of untrusted work (a template, a parser) in a forked child bounded in time and memory.

A thread cannot be stopped and a sync view cannot be cancelled; a child process can. The child runs
`work()`, sends back its JSON-able result or the message of the ApplicationError it raised, and
leaves with `os._exit` (never closing the parent's database connections or files). After `seconds`
the parent kills it; past `memory` bytes more than the process had, its allocations fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any, NoReturn

from tiendo.core.exceptions import ApplicationError

Refuse = Callable[[str], Exception]


def run_bounded(
    work: Callable[[], Any], *, seconds: float, memory: int, too_long: str, too_big: str, refuse: Refuse
) -> Any:
    """`work()`'s result, computed in a child. An ApplicationError in the child, running past
    `seconds` (`too_long`) or out of memory (`too_big`) is raised here as `refuse(message)`."""
    if not hasattr(os, "fork"):  # pragma: no cover - tiendo's servers are Linux
        return work()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: coverage does not follow it
        os.close(reader)
        _child(writer, work, seconds=seconds, memory=memory, too_big=too_big)
    os.close(writer)
    try:
        payload = _read_within(reader, pid, time.monotonic() + seconds)
    finally:
        os.close(reader)
    if payload is None:
        raise refuse(too_long)
    answer = json.loads(payload or b"{}")
    if "value" in answer:
        return answer["value"]
    raise refuse(answer.get("error") or too_big)  # no answer: the child died (memory, a crash)


def _child(
    writer: int, work: Callable[[], Any], *, seconds: float, memory: int, too_big: str
) -> NoReturn:  # pragma: no cover
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + memory,) * 2)
        cpu = int(seconds) + 2  # if the parent is gone, the kernel still stops the child
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        try:
            answer = {"value": work()}
        except ApplicationError as exc:
            answer = {"error": str(exc.message)}
        except MemoryError:
            answer = {"error": too_big}
        data = json.dumps(answer).encode()
        while data:
            data = data[os.write(writer, data) :]
    finally:
        os._exit(0)


def _address_space() -> int:
    """The process's virtual size now (what RLIMIT_AS counts), from /proc."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _read_within(reader: int, pid: int, deadline: float) -> bytes | None:
    """The child's answer, read until it closes the pipe; None if the deadline passed (it is killed)."""
    data = bytearray()
    try:
        while True:
            ready, _w, _x = select.select([reader], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                return None
            chunk = os.read(reader, 65536)
            if not chunk:
                return bytes(data)
            data += chunk
    finally:
        _reap(pid)


def _reap(pid: int) -> None:
    done, _status = os.waitpid(pid, os.WNOHANG)
    if not done:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
