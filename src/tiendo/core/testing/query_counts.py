"""Query counts kept as reviewed baselines in a JSON file (NetBox's ``query_counts`` idea).

A test names what it measures with a stable key (``"page:plan-list"``) and runs it inside
``baseline.expect(key)``. The number of queries must equal the figure recorded in the JSON file:

* more queries than recorded fails and lists them, so a new N+1 is seen in review;
* fewer queries than recorded fails too and asks for the figure to be lowered, so the file stays
  exact and an improvement is kept;
* a key with no figure fails and says how to record it.

``TIENDO_UPDATE_QUERY_COUNTS=1`` turns the checks off and writes every figure measured back to the
file (sorted, one key a line), to be reviewed in the diff like code::

    TIENDO_UPDATE_QUERY_COUNTS=1 pytest src/tiendo/tests/test_query_counts.py

Used from pytest::

    baseline = QueryCountBaseline(Path(__file__).with_name("query_counts.json"))

    def test_the_plan_list_takes_its_recorded_queries(client, shipped_data):
        with baseline.expect("page:plan-list"):
            client.get(reverse("plan-list"))
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

UPDATE_ENV_VAR = "TIENDO_UPDATE_QUERY_COUNTS"
_SQL_SHOWN = 300  # characters of each query in a failure message

_lock = threading.Lock()


class QueryCountError(AssertionError):
    """The measured number of queries is not the recorded one (or none is recorded)."""


def update_mode() -> bool:
    return os.environ.get(UPDATE_ENV_VAR, "").strip() not in ("", "0")


class QueryCountBaseline:
    """The figures of one JSON file, read once, checked or rewritten by ``expect``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._figures: dict[str, int] | None = None

    def figures(self) -> dict[str, int]:
        with _lock:
            if self._figures is None:
                self._figures = _read(self.path)
            return dict(self._figures)

    def record(self, key: str, count: int) -> None:
        """Write one figure at once (a run stopped half-way keeps what it measured)."""
        with _lock:
            figures = _read(self.path)
            figures[key] = count
            self.path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            self._figures = figures

    @contextmanager
    def expect(self, key: str, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[CaptureQueriesContext]:
        """Count the queries run inside the block and compare them with the figure recorded for ``key``."""
        if update_mode():
            with CaptureQueriesContext(connections[using]) as captured:
                yield captured
            self.record(key, len(captured.captured_queries))
            return
        expected = self.figures().get(key)
        if expected is None:
            raise QueryCountError(
                f"No query count recorded for {key!r} in {self.path.name}; "
                f"run the test with {UPDATE_ENV_VAR}=1 to record it, then review the diff."
            )
        with CaptureQueriesContext(connections[using]) as captured:
            yield captured
        check(key, expected, captured.captured_queries, path=self.path)


def check(key: str, expected: int, queries: list[dict[str, str]], *, path: Path) -> None:
    """Fail unless exactly ``expected`` queries ran; the message says which way and what to do."""
    actual = len(queries)
    if actual > expected:
        raise QueryCountError(
            f"{key}: {actual} queries, {expected} recorded in {path.name} ({actual - expected} more). "
            f"Remove the new queries, or if they are meant, run with {UPDATE_ENV_VAR}=1 and explain "
            f"the new figure in the commit.\n{describe(queries)}"
        )
    if actual < expected:
        raise QueryCountError(
            f"{key}: {actual} queries, {expected} recorded in {path.name} ({expected - actual} fewer). "
            f"Lower the figure to {actual} (run with {UPDATE_ENV_VAR}=1) so the file stays exact."
        )


def describe(queries: list[dict[str, str]]) -> str:
    """The queries numbered, each cut to a readable length."""
    lines = []
    for number, query in enumerate(queries, start=1):
        sql = " ".join(str(query.get("sql", "")).split())
        lines.append(f"  {number:>3}. {sql[:_SQL_SHOWN]}{'…' if len(sql) > _SQL_SHOWN else ''}")
    return "\n".join(lines)


def _read(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise QueryCountError(f"{path} must be one JSON object of query counts (name → integer)")
    return {str(k): int(v) for k, v in data.items()}
