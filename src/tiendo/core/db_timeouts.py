"""Bounds on every import, so that none can wedge the database (issue 10).

An import runs in one transaction; `import_bounded` wraps it (outside the transaction) and
`import_limits_set` is its first statement inside:

- PostgreSQL: `SET LOCAL statement_timeout` and `lock_timeout` (the lock wait — advisory and row locks
  alike — is bounded, then answered "an import is running, retry in N s"),
  `idle_in_transaction_session_timeout`, `client_connection_check_interval` (a backend whose client
  was killed notices within the interval and stops, freeing its locks) and server-side TCP keepalives.
- SQLite: its busy timeout bounds the wait for the write lock; a progress handler bounds the import's
  time (the statement timeout, applied to the whole import there).

A timeout or a busy database answers a domain error (`ImportBusyError`, `ImportTimeoutError`) and the
transaction rolls back: nothing is written. "request" bounds suit a web request; "command" ones an
operator's command (longer). Settings: TIENDO_IMPORT_[COMMAND_]STATEMENT_TIMEOUT / _LOCK_TIMEOUT.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError

Bound = Literal["request", "command"]
CHECK_INTERVAL_MS = 1000  # how soon a backend notices that its client is gone
SQLITE_PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at the clock


class ImportBusyError(ApplicationError):
    """Another import holds the lock beyond the wait allowed: nothing written, retry later."""

    status_code = 409
    code = "import_running"

    def __init__(self, *, retry_after: int, field: str | None = None) -> None:
        message = _("Đang có một lần nạp dữ liệu khác; không ghi gì, thử lại sau %(seconds)s giây") % {
            "seconds": retry_after
        }
        super().__init__(message, field=field)
        self.retry_after = retry_after


class ImportTimeoutError(ApplicationError):
    """The import ran beyond its statement timeout and was cancelled: nothing written."""

    status_code = 503
    code = "import_timeout"

    def __init__(self, *, seconds: float, field: str | None = None) -> None:
        message = _(
            "Lần nạp vượt quá %(seconds)s giây nên đã bị huỷ, không ghi gì; chia nhỏ dữ liệu hoặc thử lại"
        ) % {"seconds": _shown(seconds)}
        super().__init__(message, field=field)
        self.retry_after = max(1, math.ceil(seconds))


def import_timeouts(bound: Bound) -> tuple[float, float]:
    """(statement timeout, lock timeout) in seconds for this kind of caller; 0 means no bound."""
    if bound == "command":
        return settings.TIENDO_IMPORT_COMMAND_STATEMENT_TIMEOUT, settings.TIENDO_IMPORT_COMMAND_LOCK_TIMEOUT
    return settings.TIENDO_IMPORT_STATEMENT_TIMEOUT, settings.TIENDO_IMPORT_LOCK_TIMEOUT


def import_limits_set(bound: Bound) -> None:
    """The first statement of an import's transaction on PostgreSQL: its bounds, for this transaction only."""
    if connection.vendor != "postgresql":
        return
    statement, lock = import_timeouts(bound)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true), "
            "set_config('idle_in_transaction_session_timeout', %s, true), "
            "set_config('client_connection_check_interval', %s, true), "
            "set_config('tcp_keepalives_idle', '30', true), set_config('tcp_keepalives_interval', '10', true), "
            "set_config('tcp_keepalives_count', '3', true)",
            [_ms(statement), _ms(lock), _ms(max(statement, 60.0)), str(CHECK_INTERVAL_MS)],
        )


@contextmanager
def import_bounded(bound: Bound, *, field: str | None = None) -> Iterator[None]:
    """Around an import's transaction: the timeouts' errors as domain errors (the transaction, left
    by then, has rolled back), and SQLite's own bounds."""
    statement, lock = import_timeouts(bound)
    with _sqlite_bounds(statement, lock):
        try:
            yield
        except Exception as exc:  # Django's wrapped errors, and psycopg's own from a raw COPY
            domain = _translated(exc, statement=statement, lock=lock, field=field)
            if domain is None:
                raise
            raise domain from exc


def _translated(
    exc: Exception, *, statement: float, lock: float, field: str | None
) -> ApplicationError | None:
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    sqlite_error = isinstance(exc, (OperationalError, sqlite3.OperationalError)) and sqlstate is None
    text = str(exc).strip().lower()
    if sqlstate == "55P03" or (sqlite_error and "database is locked" in text):  # lock_not_available
        return ImportBusyError(retry_after=max(1, math.ceil(lock)), field=field)
    if sqlstate == "57014" or (sqlite_error and text == "interrupted"):  # query_canceled: the timeout
        return ImportTimeoutError(seconds=statement, field=field)
    return None


@contextmanager
def _sqlite_bounds(statement: float, lock: float) -> Iterator[None]:
    """SQLite: the busy timeout (the write-lock wait) and a deadline checked every few thousand steps.
    Set only when this import begins the transaction (inside another one the lock is already held)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    raw: Any = connection.connection
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {int(lock * 1000)}")
    deadline = time.monotonic() + statement
    if statement > 0:
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)
    try:
        yield
    finally:
        if statement > 0 and isinstance(raw, sqlite3.Connection):
            raw.set_progress_handler(None, 0)
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(before)}")


def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


def _shown(seconds: float) -> str:
    return f"{seconds:g}"
