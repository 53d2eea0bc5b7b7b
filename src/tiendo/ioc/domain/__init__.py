"""Vietnam's domain rules on readings (VN_AQI, river alarm levels, vessel geofences).

`derive` turns stored readings into derived ones (stub until the domain rules land)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiendo.ioc.ingest import IncomingReading, StoredReading


def derive(*, stored: list[StoredReading]) -> list[IncomingReading]:
    return []
