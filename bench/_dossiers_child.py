"""The steps of bench/analytics_dossiers.py that run inside tiendo: a child process with django.setup().

    .venv/bin/python bench/_dossiers_child.py derive OUT.json --year 2026 --plan quang-ngai-2026
    .venv/bin/python bench/_dossiers_child.py incremental OUT.json FILE.csv --year 2026 \
        --plan quang-ngai-2026 --base-url http://127.0.0.1:PORT --indicator ID

derive — the full recompute of the year: `dossiers_derive(year=Y)` (the year's dossiers counted again
  into DossierCount) then the plan's verdicts (`analytics.selectors.indicator_rows`, which read the
  derived values from those counts), timed (a) right after the import, with the counts in place, and
  (b) from scratch, after deleting the year's counts (the deletion is not timed); then (c) once more
  from scratch with every SQL query timed, to show where the time goes (not a figure of its own).
incremental — `dossiers_import(path=FILE)` in this process (upsert and the counts' upkeep; nothing
  else is written) — the first batch after the two-million-row load, with cold caches; with
  --second FILE, a following batch of the same shape is timed after the checks (the steady state).
  From the moment the first returns (committed), GET
  /api/v1/indicators/ID every 20 ms until the value differs from the one read before the import
  (freshness); then the plan's verdicts in this process, timed, and the expected value of the
  indicator, to check that the API showed the right one.

Run with the bench's DATABASE_URL / TIENDO_DATA_DIR; not meant to be run on its own. Writes JSON to OUT.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time
from pathlib import Path

POLL_EVERY = 0.020
POLL_LIMIT = 60.0


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiendo.settings")
    import django

    django.setup()


def instrument() -> dict:
    """Time the ORM's bulk writes from here on (QuerySet.bulk_create / bulk_update / delete).

    Wrapping costs a few microseconds per call; it shows whether a step's time is the database's or
    the ORM's (Django's bulk_update builds one CASE WHEN per field and row in Python).
    """
    from django.db.models.query import QuerySet

    spent: dict = {}

    def wrap(name: str) -> None:
        original = getattr(QuerySet, name)

        def timed(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                entry = spent.setdefault(name, {"calls": 0, "objects": 0, "seconds": 0.0})
                entry["calls"] += 1
                entry["objects"] += len(args[0]) if args and hasattr(args[0], "__len__") else 0
                entry["seconds"] += time.perf_counter() - start

        setattr(QuerySet, name, timed)

    for name in ("bulk_create", "bulk_update", "delete"):
        wrap(name)
    return spent


def element_sums(year: int) -> dict[str, int]:
    """Σ over every unit of the year's value of each derived element, as the formulas read it."""
    from tiendo.analytics.feed import DERIVED, feed_column, feed_totals
    from tiendo.orgunits.models import OrgUnit
    from tiendo.reporting.models import DataElement

    province = OrgUnit.objects.get(kind=OrgUnit.Kind.PROVINCE)
    ids = dict(DataElement.objects.filter(code__in=DERIVED).values_list("code", "pk"))
    totals = feed_totals(columns={pk: feed_column(code) for code, pk in ids.items()}, province=province)
    return {
        code: (totals[(ids[code], str(year))].total if (ids[code], str(year)) in totals else 0)
        for code in DERIVED
    }


def delete_derived(year: int) -> int:
    """The year's counts (what a full recompute rebuilds)."""
    from tiendo.analytics.models import DossierCount

    deleted, _ = DossierCount.objects.filter(month__gte=year * 100 + 1, month__lte=year * 100 + 12).delete()
    return deleted


def find_i1(rows):
    for row in rows:
        if row.indicator.group.code == "I" and row.indicator.number == "1":
            return row
    raise SystemExit("indicator I.1 not found in the plan")


def describe(rows) -> dict:
    i1 = find_i1(rows).evaluation
    return {
        "indicators": len(rows),
        "verdicts": dict(collections.Counter(r.evaluation.verdict for r in rows)),
        "i1": {
            "value": float(i1.value) if i1.value is not None else None,
            "period": i1.period,
            "verdict": i1.verdict,
        },
    }


def cmd_derive(args) -> dict:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiendo.analytics.feed import dossiers_derive
    from tiendo.analytics.models import Dossier
    from tiendo.analytics.selectors import indicator_rows
    from tiendo.plans.selectors import plan_get

    user = AnonymousUser()
    plan = plan_get(user=user, code=args.plan)
    indicator_rows(user=user, plan=plan)  # warm-up, not measured: imports, the connection, caches
    out: dict = {"dossiers": Dossier.objects.count()}

    # (a) right after the import: the counts are in place (recounted all the same)
    start = time.perf_counter()
    written = dossiers_derive(year=args.year)
    derived = time.perf_counter()
    rows = indicator_rows(user=user, plan=plan)
    evaluated = time.perf_counter()
    out["current"] = {"derive": derived - start, "written": written, "evaluate": evaluated - derived}

    # (b) from scratch: the year's counts deleted first (not measured), then counted again
    deleted = delete_derived(args.year)
    spent = instrument()
    start = time.perf_counter()
    written = dossiers_derive(year=args.year)
    derived = time.perf_counter()
    rows = indicator_rows(user=user, plan=plan)
    evaluated = time.perf_counter()
    out["scratch"] = {
        "deleted": deleted,
        "derive": derived - start,
        "written": written,
        "evaluate": evaluated - derived,
        "orm": dict(spent),
    }
    spent.clear()
    out.update(describe(rows))
    out["sums"] = element_sums(args.year)

    # (c) where the time goes: from scratch again, every query timed (the capture itself costs a little)
    delete_derived(args.year)
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        dossiers_derive(year=args.year)
        took = time.perf_counter() - start
    queries = sorted(
        ((float(q["time"]), " ".join(q["sql"].split())) for q in captured.captured_queries), reverse=True
    )
    out["breakdown"] = {
        "seconds": took,
        "queries": len(queries),
        "sql_seconds": sum(t for t, _ in queries),
        "top": [(t, sql[:220] + ("…" if len(sql) > 220 else "")) for t, sql in queries[:3]],
    }
    return out


def api_value(client, indicator: int) -> tuple[int, float | None]:
    response = client.get(f"/api/v1/indicators/{indicator}")
    if response.status_code != 200:
        return response.status_code, None
    return 200, response.json().get("value")


def cmd_incremental(args) -> dict:
    import httpx
    from django.contrib.auth.models import AnonymousUser

    from tiendo.analytics.feed import dossiers_import
    from tiendo.analytics.models import Dossier
    from tiendo.analytics.selectors import indicator_rows
    from tiendo.plans.selectors import plan_get

    user = AnonymousUser()
    plan = plan_get(user=user, code=args.plan)
    indicator_rows(user=user, plan=plan)  # warm-up, not measured
    before = Dossier.objects.count()
    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        status, old = api_value(client, args.indicator)  # also opens the connection
        if status != 200:
            raise SystemExit(f"GET /api/v1/indicators/{args.indicator} answered {status}")

        spent = instrument()
        start = time.perf_counter()
        result = dossiers_import(path=Path(args.file), actor_label="bench/analytics_dossiers.py")
        ended = time.perf_counter()  # dossiers_import is atomic: committed when it returns

        polls, fresh, value, statuses = 0, None, old, collections.Counter()
        while True:
            polls += 1
            status, value = api_value(client, args.indicator)
            seen = time.perf_counter()
            statuses[status] += 1
            if status == 200 and value != old:
                fresh = seen - ended
                break
            if seen - ended > POLL_LIMIT:
                break
            time.sleep(max(0.0, ended + polls * POLL_EVERY - time.perf_counter()))
        first = time.perf_counter()
        status, single = api_value(client, args.indicator)
        single_ms = (time.perf_counter() - first) * 1000

    start_eval = time.perf_counter()
    rows = indicator_rows(user=user, plan=plan)
    evaluate = time.perf_counter() - start_eval
    expected = find_i1(rows).evaluation.value
    out = {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "cells": len(result.cells),
        "units": len({u for u, _ in result.cells}),
        "seconds": result.seconds,
        "wall": ended - start,
        "orm": spent,
        "evaluate": evaluate,
        "old": old,
        "api_value": value,
        "expected": float(expected) if expected is not None else None,
        "matches": value is not None and expected is not None and abs(float(expected) - value) < 1e-9,
        "fresh": fresh,
        "polls": polls,
        "poll_statuses": dict(statuses),
        "one_request_ms": single_ms,
        "before": before,
        "after": Dossier.objects.count(),
        **describe(rows),
        "sums": element_sums(args.year),
    }
    if args.second:  # a following batch, once the checks above are taken: the steady state
        result = dossiers_import(path=Path(args.second), actor_label="bench/analytics_dossiers.py")
        out["second"] = {
            "seconds": result.seconds,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    derive = sub.add_parser("derive")
    derive.add_argument("out")
    incremental = sub.add_parser("incremental")
    incremental.add_argument("out")
    incremental.add_argument("file")
    incremental.add_argument("--base-url", required=True)
    incremental.add_argument("--indicator", type=int, required=True)
    incremental.add_argument("--second", help="a following batch of the same size, timed after the checks")
    for p in (derive, incremental):
        p.add_argument("--year", type=int, required=True)
        p.add_argument("--plan", required=True)
    args = parser.parse_args()
    setup()
    result = {"derive": cmd_derive, "incremental": cmd_incremental}[args.command](args)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
