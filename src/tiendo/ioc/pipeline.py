"""What happens to readings once stored, inside the ingest transaction (ioc/ingest.py).

1. domain rules derive readings (VN_AQI, a river's alarm level, a vessel's zone) — stored like any
   other reading, one level deep (derived readings derive nothing);
2. the rollups take every new reading (same transaction: a rollup never counts a reading that was
   rolled back);
3. the alert rules look at every new reading;
4. after commit, the live page hears about it (never about what was rolled back).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from tiendo.ioc import alerting, domain, live, rollups

if TYPE_CHECKING:
    from tiendo.ioc.ingest import IngestResult


def after_store(result: IngestResult, *, now: datetime) -> None:
    from tiendo.ioc.ingest import store_rows

    derived = domain.derive(stored=result.stored)
    if derived:
        derived_stored, _duplicates = store_rows(derived, now=now)
        result.stored.extend(derived_stored)
        result.derived += len(derived_stored)
    rollups.rollups_apply(stored=result.stored)
    alerts_changed = alerting.alerts_evaluate(stored=result.stored, now=now)
    events: list[dict[str, Any]] = [live.device_event(device) for device in result.came_online]
    events += live.reading_events(result.stored)
    events += [live.alert_event(alert) for alert in alerts_changed]
    if events:
        transaction.on_commit(lambda: live.publish_many(events))
