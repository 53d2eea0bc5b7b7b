"""Alert rules evaluated on readings as they arrive (stub until the rules land)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiendo.ioc.ingest import StoredReading
    from tiendo.ioc.models import Alert


def alerts_evaluate(*, stored: list[StoredReading], now: datetime) -> list[Alert]:
    return []
