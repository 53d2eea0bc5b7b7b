"""The feed's writes: an import (a CSV file, its text, or a batch of the API) and the full recount.

An import is all or nothing and takes an advisory lock on PostgreSQL (one dossier import at a time
keeps the counts exact). There a file goes the COPY way (`postgres.import_postgresql`) and falls
back to the line-by-line check when a line is bad; records of the API and other databases are
checked line by line (`csv.parse_rows`) and stored by `postgres.import_staged` or `sqlite`.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TextIO

from django.db import connection, transaction
from django.utils.translation import gettext as _

from tiendo.analytics.feed.counts import counts_rebuild, ensure_elements
from tiendo.analytics.feed.csv import check_utf8, parse_rows
from tiendo.analytics.feed.postgres import FallBack, import_postgresql, import_staged
from tiendo.analytics.feed.schema import DossierValues, ImportResult, record_rows
from tiendo.analytics.feed.sqlite import import_sqlite
from tiendo.core.db_timeouts import Bound, import_bounded, import_limits_set
from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin

IMPORT_LOCK = 7_211_051  # PostgreSQL advisory lock: one dossier import at a time keeps the counts exact


def dossiers_import(
    *,
    path: Path | None = None,
    text: str | None = None,
    records: list[Mapping[str, object]] | None = None,
    feed: str = "dossiers",
    actor_label: str = "tiendo import-dossiers",
    actor: Actor | None = None,
    bound: Bound = "request",
) -> ImportResult:
    """Import a CSV (a file or its text) or a batch of records completely or not at all.

    Upsert on dossier_id: a dossier sent again is compared and changed only where a field differs,
    so re-sending never double-counts. The counts per (unit, month) move by the difference — nothing
    else is written: the derived values are read from the counts.

    Bounded (`bound`: a request's limits or a command's, tiendo.core.db_timeouts): another import
    holding the lock beyond the lock timeout raises ImportBusyError, a statement beyond the statement
    timeout ImportTimeoutError; either way nothing is written.
    """
    if actor is not None and not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS được nạp hồ sơ"), field="dossiers")
    with import_bounded(bound, field="dossiers" if records is not None else None):
        return _import(
            path=path,
            text=text,
            records=records,
            feed=feed,
            actor_label=actor_label,
            actor=actor,
            bound=bound,
        )


@transaction.atomic
def _import(
    *,
    path: Path | None,
    text: str | None,
    records: list[Mapping[str, object]] | None,
    feed: str,
    actor_label: str,
    actor: Actor | None,
    bound: Bound,
) -> ImportResult:
    import_limits_set(bound)
    started = time.perf_counter()
    name = path.name if path is not None else ("request" if records is not None else "dossiers.csv")
    if path is not None:
        check_utf8(path, name)  # a clear "not UTF-8, line L" before the CSV is read, not a traceback
    if connection.vendor == "postgresql":
        _lock(tuned=True)

    def open_file() -> TextIO:
        return path.open(encoding="utf-8", newline="") if path is not None else io.StringIO(text or "")

    result = None
    if connection.vendor == "postgresql" and records is None:
        result = _import_copied(open_file, feed=feed)
    if result is None:
        result = ImportResult()
        units = dict(OrgUnit.objects.values_list("code", "pk"))
        if records is not None:
            rows = parse_rows(record_rows(records), units=units, name=name, where=_record_place)
            _import_rows(rows, result, feed=feed)
        else:
            with open_file() as handle:
                _import_rows(parse_rows(csv.reader(handle), units=units, name=name), result, feed=feed)
    ensure_elements()  # the HS_* elements the formulas name (the shipped forms declare them too)
    result.seconds = time.perf_counter() - started
    _audit(result, name=name, feed=feed, actor=actor, actor_label=actor_label)
    return result


def dossiers_derive(*, year: int) -> int:
    """The full recompute of a year: count its dossiers again, cell by cell. Returns the cells.

    Takes the import lock: an import committing between the recount's reading and its writing
    would otherwise lose its changes to the counts. Bounded as a command's import.
    """
    with import_bounded("command"):
        return _derive(year=year)


@transaction.atomic
def _derive(*, year: int) -> int:
    import_limits_set("command")
    if connection.vendor == "postgresql":
        _lock(tuned=False)
    ensure_elements()
    return counts_rebuild(year=year)


def _lock(*, tuned: bool) -> None:
    """The import lock; its wait is bounded by the transaction's lock_timeout (import_limits_set)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        if tuned:
            # the tables live in memory or on SSD: a lookup by primary key costs about what a page
            # read in order does, so a batch of 10,000 probes 10,000 keys instead of scanning millions
            cursor.execute("SET LOCAL random_page_cost = 1.1")


def _import_copied(open_file: Callable[[], TextIO], *, feed: str) -> ImportResult | None:
    """The COPY path of a file on PostgreSQL; None when only the line-by-line check can name the fault."""
    result = ImportResult()
    try:
        with transaction.atomic(), open_file() as handle:
            import_postgresql(handle, result, feed=feed)
    except FallBack:  # something only the line-by-line check can pin to a line
        return None
    return result


def _record_place(line: int) -> str:
    return f"dossiers[{line - 2}]"


def _import_rows(parsed: Iterable[tuple[int, DossierValues]], result: ImportResult, *, feed: str) -> None:
    """Rows checked in Python: PostgreSQL stages them with COPY, other databases upsert in batches."""
    if connection.vendor == "postgresql":
        import_staged(parsed, result, feed=feed)
    else:
        import_sqlite(parsed, result, feed=feed)


def _audit(result: ImportResult, *, name: str, feed: str, actor: Actor | None, actor_label: str) -> None:
    province = OrgUnit.objects.filter(kind=OrgUnit.Kind.PROVINCE).first()
    if province is None:
        return
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="dossiers.import",
        obj=province,
        changes={
            "file": name,
            "feed": feed,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
