"""The dossier import's joins are linear: no statement joins the staged batch to the dossier table by
rescanning one of them per row (issue 10: a million dossiers sent again ran 20 minutes as a nested
loop, holding the import lock). Read from the plans PostgreSQL chooses (EXPLAIN), on a staged batch
large enough for the planner to go wrong; on SQLite, from its query plan of the batch lookup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.feed.postgres import (
    _converted,
    _copy_raw,
    _raw_columns,
    insert_sql,
    repeated_ids_sql,
    update_sql,
)
from tiendo.analytics.generator import generate
from tiendo.analytics.models import Dossier
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db
BIG = {"dossier_raw", "dossier_staging", Dossier._meta.db_table}
STORED, STAGED = 60_000, 50_000
# the check for repeated ids before issue 10 (above 200,000 staged rows): a join under a LIMIT
OLD_CHECK = (
    "SELECT 1 FROM dossier_raw r JOIN analytics_dossier d ON d.dossier_id = btrim(r.c0) "
    "GROUP BY d.dossier_id HAVING count(*) > 1 LIMIT 1"
)


def dossier_file(path: Path, *, count: int, seed: int) -> Path:
    province = OrgUnit.objects.get(code="51")
    generate(
        path=path,
        year=2025,
        count=count,
        seed=seed,
        communes=sorted(province.children.filter(kind="commune").values_list("code", flat=True)),
        agencies=sorted(province.children.filter(kind="agency").values_list("code", flat=True)),
    )
    return path


def plan_of(cursor: Any, sql: str, params: list[str]) -> dict[str, Any]:
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
    plan: dict[str, Any] = cursor.fetchone()[0][0]["Plan"]
    return plan


def rescans(node: dict[str, Any], *, under_loop: bool = False) -> list[str]:
    """The big tables a Nested Loop scans whole (or materialises) once per outer row: quadratic.
    A nested loop probing an index (a key lookup per row) stays linear and is not listed."""
    found = []
    if under_loop and node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG:
        found.append(node["Relation Name"])
    children = node.get("Plans", [])
    for child in children:
        inner = node.get("Node Type") == "Nested Loop" and child.get("Parent Relationship") == "Inner"
        found += rescans(child, under_loop=under_loop or inner)
    return found


@pytest.mark.postgres
def test_a_large_batch_sent_again_is_joined_linearly(shipped_data, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the plans are PostgreSQL's; SQLite's batch lookup is checked below")
    stored = dossier_file(tmp_path / "stored.csv", count=STORED, seed=1)
    assert dossiers_import(path=stored).created == STORED
    again = dossier_file(tmp_path / "again.csv", count=STAGED, seed=1)  # the first 50,000 sent again
    with (
        transaction.atomic(),
        again.open(encoding="utf-8", newline="") as handle,
        connection.cursor() as cursor,
    ):
        columns, width = _raw_columns(handle, "again.csv")
        assert _copy_raw(cursor, handle, width) == STAGED
        cursor.execute("SET LOCAL jit = off")
        source, dossier_id = _converted(columns), columns["dossier_id"]
        plans = {
            "repeated ids": plan_of(cursor, repeated_ids_sql(dossier_id), []),
            "update": plan_of(cursor, update_sql(source, dossier_id), ["dossiers"]),
            "insert": plan_of(cursor, insert_sql(source, dossier_id), ["dossiers"]),
        }
        old = plan_of(cursor, OLD_CHECK, [])
        transaction.set_rollback(True)
    for name, plan in plans.items():
        assert rescans(plan) == [], (name, plan)
        # linear: a few dozen units of cost per row; the quadratic plan costs rows × rows
        assert plan["Total Cost"] < 100 * (STORED + STAGED), (name, plan["Total Cost"])
    assert "Join" not in str(plans["repeated ids"]) and "Loop" not in str(plans["repeated ids"])
    # the detector would have caught the check it replaces: a nested loop rescanning a big table
    assert rescans(old) or old["Total Cost"] > 100 * (STORED + STAGED), old


def test_sqlite_looks_up_each_batch_by_key_not_by_scanning(shipped_data):
    """The SQLite path reads the stored dossiers of each batch of 5,000 by primary key: a search per
    id, never a scan of the table per batch (which would be quadratic over a large file)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's path (PostgreSQL's plans are checked above)")
    query = Dossier.objects.filter(dossier_id__in=["a", "b", "c"]).values_list("dossier_id", "unit_id")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        details = [row[-1] for row in cursor.fetchall()]
    assert any("SEARCH" in d and "dossier_id" in d for d in details), details
    assert not any(d.startswith("SCAN") and Dossier._meta.db_table in d for d in details), details
