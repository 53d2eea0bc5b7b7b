"""Reads of the IOC, always given the acting user.

Who sees what: the CĐS office everything; a member of a unit (operator, admin, reviewer, reporter,
viewer) the devices placed in that unit and the units below it, with their readings and alerts.
Anonymous visitors see nothing here (open data is the opendata app's). Anything else is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.ioc.ingest import REASONS, device_code_of
from tiendo.ioc.models import Alert, Device, DeviceMetric, IngestRefusal, Reading, Rollup, Subsystem
from tiendo.orgunits.models import Membership
from tiendo.orgunits.selectors import scope_filter, user_is_office_admin

ACTING_ROLES = (Membership.Role.OPERATOR, Membership.Role.ADMIN)


def devices_visible(*, user: Actor) -> QuerySet[Device]:
    if not user.is_authenticated:
        return Device.objects.none()
    return Device.objects.filter(scope_filter(user, field="unit__path")).select_related(
        "unit", "subsystem", "owner"
    )


def device_get(*, user: Actor, code: str) -> Device:
    device = devices_visible(user=user).filter(code=device_code_of(code)).first()
    if device is None:
        raise NotFoundError()
    return device


def subsystems_visible(*, user: Actor) -> QuerySet[Subsystem]:
    if not user.is_authenticated:
        return Subsystem.objects.none()
    return Subsystem.objects.select_related("owner")


def alerts_visible(*, user: Actor) -> QuerySet[Alert]:
    if not user.is_authenticated:
        return Alert.objects.none()
    return Alert.objects.filter(scope_filter(user, field="unit__path")).select_related(
        "rule", "device", "unit", "acknowledged_by", "cleared_by"
    )


def alert_get(*, user: Actor, alert_id: int) -> Alert:
    alert = alerts_visible(user=user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFoundError()
    return alert


def user_may_act_on_alert(*, user: Actor, alert: Alert) -> bool:
    """Acknowledge and clear: the office, and operators or admins of the alert's unit or above it."""
    if user_is_office_admin(user):
        return True
    if not user.is_authenticated:
        return False
    paths = Membership.objects.filter(user=user, role__in=ACTING_ROLES).values_list("unit__path", flat=True)
    return any(alert.unit.path.startswith(path) for path in paths)


def series_get(*, user: Actor, device_code: str, metric: str) -> DeviceMetric:
    device = device_get(user=user, code=device_code)
    series = DeviceMetric.objects.filter(device=device, code=metric).select_related("device").first()
    if series is None:
        raise NotFoundError()
    return series


def series_readings(
    *,
    user: Actor,
    device_code: str,
    metric: str,
    since: datetime | None = None,
    until: datetime | None = None,
    last_n: int | None = None,
) -> list[Reading]:
    """Readings of one series in time order; with `last_n`, the newest n of the window."""
    series = series_get(user=user, device_code=device_code, metric=metric)
    condition = Q(series=series)
    if since is not None:
        condition &= Q(ts__gte=since)
    if until is not None:
        condition &= Q(ts__lt=until)
    readings = Reading.objects.filter(condition)
    if last_n is not None:
        return list(reversed(readings.order_by("-ts")[:last_n]))
    return list(readings.order_by("ts"))


def series_rollups(
    *,
    user: Actor,
    device_code: str,
    metric: str,
    grain: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Rollup]:
    """Rollups of one series at one grain (5m, 1h, 1d) in time order; buckets in [since, until)."""
    series = series_get(user=user, device_code=device_code, metric=metric)
    condition = Q(series=series, grain=grain)
    if since is not None:
        condition &= Q(bucket__gte=since)
    if until is not None:
        condition &= Q(bucket__lt=until)
    return list(Rollup.objects.filter(condition).order_by("bucket"))


@dataclass(frozen=True)
class RefusalRow:
    day: date
    reason: str
    reason_label: str
    device_ref: str
    count: int
    last_detail: str
    last_at: datetime


def refusals_recent(*, user: Actor, days: int = 7, limit: int = 50) -> tuple[list[RefusalRow], int]:
    """What ingest refused in the last `days` days, the newest first (at most `limit` rows), and the
    total count of readings refused in that time. The office's: a refused reference may name a
    device that is in no unit, so nobody else sees them."""
    if not user_is_office_admin(user):
        return [], 0
    since = timezone.localdate() - timedelta(days=days - 1)
    refusals = IngestRefusal.objects.filter(day__gte=since)
    total = refusals.aggregate(total=Sum("count"))["total"] or 0
    rows = [
        RefusalRow(
            day=refusal.day,
            reason=refusal.reason,
            reason_label=str(REASONS.get(refusal.reason, refusal.reason)),
            device_ref=refusal.device_ref,
            count=refusal.count,
            last_detail=refusal.last_detail,
            last_at=refusal.last_at,
        )
        for refusal in refusals.order_by("-last_at")[:limit]
    ]
    return rows, total
