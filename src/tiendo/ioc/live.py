"""Small JSON deltas for the live page (/ioc/stream). `publish_many` fans them out (stub: no-op
until the live page lands; it must never raise into the caller's commit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tiendo.ioc.ingest import StoredReading
    from tiendo.ioc.models import Alert, Device


def device_event(device: Device) -> dict[str, Any]:
    return {
        "type": "device",
        "device": device.code,
        "state": device.state,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
    }


def reading_events(stored: list[StoredReading]) -> list[dict[str, Any]]:
    """One event per series: its newest value in this batch."""
    latest: dict[int, StoredReading] = {}
    for reading in stored:
        if reading.series_id not in latest or reading.ts > latest[reading.series_id].ts:
            latest[reading.series_id] = reading
    return [
        {
            "type": "reading",
            "device": r.device_code,
            "unit": r.unit_code,
            "metric": r.metric,
            "ts": r.ts.isoformat(),
            "value": r.value,
        }
        for r in latest.values()
    ]


def alert_event(alert: Alert) -> dict[str, Any]:
    return {
        "type": "alert",
        "id": alert.pk,
        "rule": alert.rule.code,
        "device": alert.device.code if alert.device else None,
        "unit": alert.unit.code,
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "value": alert.value,
        "started_at": alert.started_at.isoformat(),
    }


def publish_many(events: list[dict[str, Any]]) -> None:
    return None


def publish(event: dict[str, Any]) -> None:
    publish_many([event])
