"""The same bounds on SQLite (issue 10): its busy timeout bounds the wait for the write lock that
another import holds ("retry in N s", exit 75), a progress handler bounds the import's time; nothing
is written. The command runs as a real process on a file copy of the test database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tiendo.analytics.management.commands.import_dossiers import EXIT_BUSY
from tiendo.analytics.tests.test_dossiers_import import HEADER, row

TIENDO = str(Path(sys.executable).with_name("tiendo"))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A SQLite file with the schema and the province's units, made once by the commands themselves."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's busy timeout and progress handler (PostgreSQL's bounds: test_import_bounds)")
    folder = tmp_path_factory.mktemp("sqlite-bounds")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'template.sqlite3'}",
        "TIENDO_DATA_DIR": str(folder),
    }
    for command in (["migrate", "-v0"], ["load-units", "--province", "51"]):
        subprocess.run([TIENDO, *command], env=env, check=True, capture_output=True, timeout=120)
    return folder / "template.sqlite3"


@pytest.fixture
def database_file(template, tmp_path) -> Path:
    path = tmp_path / "tiendo.sqlite3"
    shutil.copyfile(template, path)
    return path


def run_import(database: Path, tmp_path: Path, rows: int, **bounds: str) -> subprocess.CompletedProcess[str]:
    csv = tmp_path / "dossiers.csv"
    csv.write_text(HEADER + "".join(row(f"S{i}") for i in range(rows)), encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "TIENDO_DATA_DIR": str(tmp_path)}
    env.update({"TIENDO_LANG": "en", **bounds})
    return subprocess.run(
        [TIENDO, "import-dossiers", str(csv)], env=env, capture_output=True, text=True, timeout=60
    )


def stored(database: Path) -> int:
    with sqlite3.connect(database) as db:
        count: int = db.execute("SELECT count(*) FROM analytics_dossier").fetchone()[0]
        return count


def test_on_sqlite_an_import_waits_its_busy_timeout_then_says_when_to_retry(database_file, tmp_path):
    holder = sqlite3.connect(database_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another import writing
    try:
        done = run_import(database_file, tmp_path, 3, TIENDO_IMPORT_COMMAND_LOCK_TIMEOUT="0.5")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == EXIT_BUSY, done.stderr
    assert "Another import is running; nothing was written, retry in 1 s" in done.stderr
    assert stored(database_file) == 0
    assert run_import(database_file, tmp_path, 3).returncode == 0
    assert stored(database_file) == 3


def test_on_sqlite_an_import_beyond_its_time_is_interrupted_and_writes_nothing(database_file, tmp_path):
    done = run_import(database_file, tmp_path, 3000, TIENDO_IMPORT_COMMAND_STATEMENT_TIMEOUT="0.001")
    assert done.returncode == 1, done.stderr
    assert "The import took longer than 0.001 s and was cancelled, nothing was written" in done.stderr
    assert stored(database_file) == 0
