"""Reads of the alert history and the rules, given the acting user (see ioc/selectors.py for who
sees what). The history page and its CSV and XLSX exports use the same `alerts_search`, so an export
holds exactly the rows the filters show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.ioc.models import Alert, AlertEvent, AlertRule, Severity
from tiendo.ioc.selectors import alerts_visible
from tiendo.orgunits.selectors import user_is_office_admin

SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.WARNING]
SORTS = {
    "started": "started_at",
    "severity": "severity_rank",
    "status": "status",
    "unit": "unit__code",
    "device": "device__code",
    "rule": "rule__code",
}
DEFAULT_SORT = "-started"


@dataclass(frozen=True)
class AlertFilters:
    q: str = ""
    status: str = ""
    severity: str = ""
    unit: str = ""  # a unit's code: that unit and the units below it
    since: date | None = None  # started on or after this day (the province's time)
    until: date | None = None  # started on or before this day
    sort: str = DEFAULT_SORT

    @classmethod
    def from_query(cls, query: dict[str, str]) -> AlertFilters:
        """From a query string; what does not parse is ignored, never an error."""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(query.get(name, "").strip())
            except ValueError:
                return None

        sort = query.get("sort", DEFAULT_SORT)
        return cls(
            q=query.get("q", "").strip()[:200],
            status=query.get("status", "") if query.get("status") in Alert.Status.values else "",
            severity=query.get("severity", "") if query.get("severity") in Severity.values else "",
            unit=query.get("unit", "").strip()[:40],
            since=day("since"),
            until=day("until"),
            sort=sort if sort.lstrip("-") in SORTS else DEFAULT_SORT,
        )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def alerts_search(*, user: Actor, filters: AlertFilters) -> QuerySet[Alert]:
    alerts = alerts_visible(user=user)
    if filters.q:
        alerts = alerts.filter(
            Q(message__icontains=filters.q)
            | Q(device__code__icontains=filters.q)
            | Q(device__name__icontains=filters.q)
            | Q(rule__name__icontains=filters.q)
            | Q(rule__code__icontains=filters.q)
        )
    if filters.status:
        alerts = alerts.filter(status=filters.status)
    if filters.severity:
        alerts = alerts.filter(severity=filters.severity)
    if filters.unit:
        alerts = alerts.filter(Q(unit__code=filters.unit) | Q(unit__path__contains=f"/{filters.unit}/"))
    if filters.since:
        alerts = alerts.filter(started_at__gte=_day_start(filters.since))
    if filters.until:
        alerts = alerts.filter(started_at__lt=_day_start(filters.until) + timedelta(days=1))
    rank = Case(
        *[When(severity=s, then=Value(n)) for n, s in enumerate(SEVERITY_ORDER)],
        default=Value(len(SEVERITY_ORDER)),
        output_field=IntegerField(),
    )
    descending = filters.sort.startswith("-")
    field = SORTS[filters.sort.lstrip("-")]
    order = ("-" if descending else "") + field
    return alerts.annotate(severity_rank=rank).order_by(order, "-id" if descending else "id")


def alert_events(*, user: Actor, alert: Alert) -> list[AlertEvent]:
    """The alert's history (the caller got `alert` through a selector, so the user may see it)."""
    return list(alert.events.select_related("actor"))


def alerts_open_count(*, user: Actor) -> int:
    """The badge: alerts the user sees that are not over yet."""
    return alerts_visible(user=user).exclude(status=Alert.Status.CLEARED).count()


def rules_visible(*, user: Actor) -> QuerySet[AlertRule]:
    """The rules are the office's: others see none (the pages answer "not found")."""
    if not user_is_office_admin(user):
        return AlertRule.objects.none()
    return AlertRule.objects.select_related("device", "subsystem", "indicator__group", "indicator__plan")


def indicators_for_rules(*, user: Actor) -> list[tuple[int, str]]:
    """(id, label) of the plans' indicators, the newest plan first, for the rule form."""
    from tiendo.plans.models import Indicator

    if not user_is_office_admin(user):
        return []
    indicators = Indicator.objects.select_related("plan", "group").order_by(
        "-plan__year", "group__sort", "sort"
    )
    return [(i.pk, f"{i.plan.year} · {i.label} {i.name[:90]}") for i in indicators]


def rule_get(*, user: Actor, rule_id: int) -> AlertRule:
    rule = rules_visible(user=user).filter(pk=rule_id).first()
    if rule is None:
        raise NotFoundError()
    return rule
