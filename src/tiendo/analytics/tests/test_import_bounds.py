"""Imports cannot wedge the system (issue 10): the wait for the import lock and for the reports' row
locks is bounded and answered "an import is running, retry in N s" (409 + Retry-After, the command's
exit status 75), a statement beyond its timeout is cancelled (503), and nothing is written either way.
Another PostgreSQL session holds the locks, as a running import would."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tiendo.analytics.feed.services import IMPORT_LOCK
from tiendo.analytics.management.commands.import_dossiers import EXIT_BUSY
from tiendo.analytics.models import Dossier, DossierCount
from tiendo.analytics.tests.test_api_dossiers import RECORD, push
from tiendo.analytics.tests.test_dossiers_import import HEADER, row
from tiendo.api.tests.test_datavaluesets import PAYLOAD, basic, post
from tiendo.reporting.models import DataValue

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def other_session() -> Iterator[psycopg.Connection]:
    """A second session on the test database: the import running beside ours."""
    if connection.vendor != "postgresql":
        pytest.skip("locks held by another session: PostgreSQL (SQLite's busy timeout: test_import_faults)")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SET lock_timeout = '5s'")
        yield other


@pytest.fixture
def short_bounds(settings):
    settings.TIENDO_IMPORT_LOCK_TIMEOUT = 0.5
    settings.TIENDO_IMPORT_COMMAND_LOCK_TIMEOUT = 0.5
    return settings


def test_a_push_while_an_import_runs_is_answered_at_once_with_retry_after(
    client, office_admin, other_session, short_bounds
):
    other_session.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
    started = time.monotonic()
    response = push(client, office_admin, [RECORD])
    assert time.monotonic() - started < 3  # the bound (0.5 s), not the other import's length
    assert response.status_code == 409, response.content
    assert response["Retry-After"] == "1"
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("import_running", "dossiers")
    assert "thử lại sau 1 giây" in error["message"]
    assert not Dossier.objects.exists() and not DossierCount.objects.exists()
    other_session.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK])
    assert push(client, office_admin, [RECORD]).status_code == 200


def test_the_command_while_an_import_runs_exits_75_saying_when_to_retry(
    tmp_path, shipped_data, other_session, short_bounds
):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + row("D1"), encoding="utf-8")
    other_session.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
    with pytest.raises(CommandError, match="thử lại sau 1 giây") as refused:
        call_command("import_dossiers", str(path), stdout=StringIO())
    assert refused.value.returncode == EXIT_BUSY
    assert not Dossier.objects.exists()


def test_a_statement_beyond_its_timeout_is_cancelled_and_nothing_is_written(
    client, office_admin, other_session, settings
):
    settings.TIENDO_IMPORT_STATEMENT_TIMEOUT = 0.001  # 1 ms: no statement of 2,000 records fits
    records = [{**RECORD, "dossier_id": f"T-{i}"} for i in range(2000)]
    response = push(client, office_admin, records)
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "import_timeout"
    assert response["Retry-After"] == "1"
    assert not Dossier.objects.exists() and not DossierCount.objects.exists()


def test_data_values_wait_a_bounded_time_for_reports_locked_by_another_import(
    client, small_forms, tinhkhe_reporter, other_session, short_bounds
):
    # another import writing reports: it holds the submission table against writers and row locks
    other_session.execute("BEGIN")
    other_session.execute("LOCK TABLE reporting_submission IN EXCLUSIVE MODE")
    started = time.monotonic()
    response = post(client, PAYLOAD, **basic("tinhkhe.reporter", "pw-tinhkhe.reporter"))
    assert time.monotonic() - started < 3
    other_session.execute("ROLLBACK")
    assert response.status_code == 409, response.content
    assert response["Retry-After"] == "1"
    body = json.loads(response.content)
    assert (body["httpStatusCode"], body["status"]) == (409, "ERROR")
    assert "thử lại sau 1 giây" in body["message"]
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_the_recount_while_an_import_runs_exits_75_too(shipped_data, other_session, short_bounds):
    other_session.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
    with pytest.raises(CommandError, match="thử lại sau 1 giây") as refused:
        call_command("recount_dossiers", year=2026, stdout=StringIO())
    assert refused.value.returncode == EXIT_BUSY
