"""5-minute, hourly and daily rollups of every series, kept current as readings arrive (stub)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiendo.ioc.ingest import StoredReading


def rollups_apply(*, stored: list[StoredReading]) -> None:
    return None
