"""What bench/ioc_stream.py and bench/ioc_page.py share: a fresh PostgreSQL database with the
province's units and the IOC registry, a signed-in session, `tiendo serve` on a free port, the
server's memory. Not meant to be run on its own."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
TIENDO = [sys.executable, "-c", "from tiendo.cli import main; main()"]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_ioc"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
VIEWER = "bench-ioc-viewer"


def recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: a bench database's name contains 'bench'")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiendo.settings",
        "DATABASE_URL": database_url,
        "TIENDO_REDIS_URL": redis_url,
    }


def prepare(database_url: str, redis_url: str) -> None:
    """Empty database → migrated, province 51's units, the shipped IOC registry (12 devices)."""
    recreate_database(database_url)
    env = environment(database_url, redis_url)
    for command in (["migrate", "--no-input", "-v", "0"], ["load-units", "--province", "51"], ["load-ioc"]):
        subprocess.run([*TIENDO, *command], env=env, check=True, stdout=subprocess.DEVNULL)


def django_setup(database_url: str, redis_url: str) -> None:
    os.environ.update(environment(database_url, redis_url))
    import django

    django.setup()


def viewer_session() -> dict[str, str]:
    """A viewer at the province (sees every device; no second factor): its session cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from tiendo.orgunits.models import Membership, OrgUnit

    user, _created = get_user_model().objects.get_or_create(username=VIEWER)
    Membership.objects.get_or_create(
        user=user, unit=OrgUnit.objects.get(code="51"), role=Membership.Role.VIEWER
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {settings.SESSION_COOKIE_NAME: session.session_key or ""}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(database_url: str, redis_url: str, *, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [*TIENDO, "serve", "--port", str(port), "--workers", str(workers)],
        env=environment(database_url, redis_url),
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server stopped while starting")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), MiB, from /proc."""
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        pids += [int(c) for c in children]
    return round(total / 1024, 1)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
