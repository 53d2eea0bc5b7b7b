"""The alerts' background work (django-tasks): deliveries of e-mail and webhooks, the periodic check."""

from __future__ import annotations

from django_tasks import task

from tiendo.ioc.alerting import alerts_check
from tiendo.ioc.alerts_notify import alert_deliver


@task()
def alert_deliver_task(*, alert_id: int, event: str) -> dict[str, int]:
    return alert_deliver(alert_id=alert_id, event=event)


@task()
def ioc_check_task() -> dict[str, int]:
    return alerts_check().summary()


@task()
def ioc_feed_task() -> dict[str, int]:
    """This month's sensor figures into the plan's data (tiendo ioc-feed); the worker runs it hourly."""
    from django.utils import timezone

    from tiendo.ioc.feeds import sensor_feeds_apply

    today = timezone.localdate()
    report = sensor_feeds_apply(year=today.year, month=today.month)
    return {"figures": report.figures, "changed": report.changed}
