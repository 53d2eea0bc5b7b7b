"""Alert rules: evaluated on readings as they arrive, and by a periodic check for silence and the plan.

A rule watches a metric on one device, on every device of a kind, of a subsystem, or on all devices
(the scopes that are set must all match). Its condition:

- threshold: the value against `threshold` with `operator` (>, >=, <, <=, =);
- rate: the change from the series' previous reading, per `params["per_minutes"]` minutes (default
  60), against `threshold` with `operator` (water rising faster than 0.5 m an hour);
- no_data: nothing from the device (or, with a metric, from that series) for `params["minutes"]`
  minutes — found by the periodic check (`alerts_check`), cleared here when data returns;
- indicator: the plan's indicator off track (the periodic check; see `indicator_off_track`).

Debouncing, for threshold and rate: the condition must hold on `repeat_count` readings in a row and
continuously for `duration_seconds` (measured on the readings' own times) before the alert is
raised. A reading back to normal resets both and clears the open alert by itself. A batch older
than what a series already holds (a device sending its backlog) is history, not news: it moves
nothing. The rate is taken from the reading just before, in the batch or stored.

Set-based: per batch, one query for the rules' stamp (the rules themselves are cached per process
and reloaded when the stamp changes), one for the open alerts, one for the series' newest times, one
for the rules' states, one for the readings before the batch (rate rules only), and one upsert of the
states whose breach moved (none while nothing breaches); more only when an alert is raised or
cleared, which is rare.
"""

from __future__ import annotations

import logging
import operator as op
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.ioc import live
from tiendo.ioc.models import Alert, AlertRule, Device, DeviceMetric, RuleState

if TYPE_CHECKING:
    from tiendo.ioc.ingest import StoredReading

logger = logging.getLogger(__name__)

AUTO_CLEAR_COMMENT = "tự động: giá trị trở lại bình thường"
DATA_BACK_COMMENT = "tự động: đã có số liệu trở lại"
INDICATOR_BACK_COMMENT = "tự động: chỉ tiêu trở lại đúng hướng"
DEFAULT_RATE_PER_MINUTES = 60
EQUAL_TOLERANCE = 1e-9

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": op.gt,
    ">=": op.ge,
    "<": op.lt,
    "<=": op.le,
    "=": lambda a, b: abs(a - b) <= EQUAL_TOLERANCE * max(1.0, abs(b)),
}
OPERATOR_SIGNS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "=": "="}


# --- the rules, cached per process -------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    by_metric: dict[str, list[AlertRule]]  # threshold and rate rules by the metric they watch
    no_data: list[AlertRule]
    needs_devices: bool  # some rule is scoped by device kind or subsystem

    @property
    def empty(self) -> bool:
        return not self.by_metric and not self.no_data


_cache: dict[str, Any] = {"stamp": None, "rules": None}
_cache_lock = threading.Lock()


def _stamp() -> tuple[Any, ...]:
    """Changes whenever a rule is created, edited, (de)activated or deleted, in any process (rules
    are written with save(), which moves `updated_at`; a bare QuerySet.update would not be seen)."""
    row = AlertRule.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (row["n"], row["last"])


def rules_active() -> RuleSet:
    stamp = _stamp()
    with _cache_lock:
        if _cache["rules"] is not None and _cache["stamp"] == stamp:
            return _cache["rules"]
    by_metric: dict[str, list[AlertRule]] = defaultdict(list)
    no_data: list[AlertRule] = []
    rules = list(AlertRule.objects.filter(active=True).exclude(condition=AlertRule.Condition.INDICATOR))
    for rule in rules:
        if rule.condition == AlertRule.Condition.NO_DATA:
            no_data.append(rule)
        elif rule.metric and rule.operator in OPERATORS and rule.threshold is not None:
            by_metric[rule.metric].append(rule)
    ruleset = RuleSet(
        by_metric=dict(by_metric),
        no_data=no_data,
        needs_devices=any(r.device_kind or r.subsystem_id for r in rules),
    )
    with _cache_lock:
        _cache["stamp"], _cache["rules"] = stamp, ruleset
    return ruleset


def in_scope(rule: AlertRule, *, device_id: int, kind: str | None, subsystem_id: int | None) -> bool:
    if rule.device_id is not None and rule.device_id != device_id:
        return False
    if rule.device_kind and rule.device_kind != kind:
        return False
    return rule.subsystem_id is None or rule.subsystem_id == subsystem_id


# --- evaluation on readings ----------------------------------------------------------------------


@dataclass
class _Pair:
    rule: AlertRule
    series_id: int
    device_id: int
    readings: list[StoredReading]


def _per_minutes(rule: AlertRule) -> float:
    try:
        per = float(rule.params.get("per_minutes", DEFAULT_RATE_PER_MINUTES))
    except (TypeError, ValueError, AttributeError):
        return DEFAULT_RATE_PER_MINUTES
    return per if per > 0 else DEFAULT_RATE_PER_MINUTES


def measure(
    rule: AlertRule, *, ts: datetime, value: float, previous: tuple[datetime, float] | None
) -> float | None:
    """What the rule compares: the value, or its change per N minutes (None: no previous reading)."""
    if rule.condition != AlertRule.Condition.RATE:
        return value
    if previous is None:
        return None
    seconds = (ts - previous[0]).total_seconds()
    if seconds <= 0:
        return None
    return (value - previous[1]) / seconds * 60 * _per_minutes(rule)


def breaches(rule: AlertRule, measured: float) -> bool:
    assert rule.threshold is not None
    return OPERATORS[rule.operator](measured, rule.threshold)


def _message(rule: AlertRule, device: str, metric: str, measured: float) -> str:
    """In words a person on duty reads: the device's and the metric's names, not their codes."""
    names = {
        "rule": rule.name,
        "device": device,
        "metric": metric,
        "value": f"{measured:g}",
        "operator": OPERATOR_SIGNS.get(rule.operator, rule.operator),
        "threshold": f"{rule.threshold:g}",
    }
    if rule.condition == AlertRule.Condition.RATE:
        names["per"] = f"{_per_minutes(rule):g}"
        return (
            _(
                "%(rule)s: %(device)s, %(metric)s thay đổi %(value)s mỗi %(per)s phút (%(operator)s %(threshold)s)"
            )
            % names
        )
    return _("%(rule)s: %(device)s, %(metric)s = %(value)s (%(operator)s %(threshold)s)") % names


def _as_moment(value: Any) -> datetime:
    """A timestamp from raw SQL: a datetime on PostgreSQL, ISO text (UTC) on SQLite."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _previous_readings(pairs: list[_Pair]) -> dict[int, tuple[datetime, float]]:
    """For the series rate rules watch: the reading just before this batch's first, in one query
    (a correlated "newest before" per series, which walks the (series, ts) key backwards)."""
    firsts: dict[int, datetime] = {}
    for pair in pairs:
        if pair.rule.condition == AlertRule.Condition.RATE:
            firsts[pair.series_id] = pair.readings[0].ts
    if not firsts:
        return {}
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for series_id, first in firsts.items():
        params += [series_id, adapt(first)]
    values = ", ".join(["(%s, %s)"] * len(firsts))
    newest = "FROM ioc_reading r WHERE r.series_id = v.c1 AND r.ts < v.c2 ORDER BY r.ts DESC LIMIT 1"
    sql = (
        f"SELECT v.c1, (SELECT r.ts {newest}), (SELECT r.value {newest}) "
        f"FROM (SELECT column1 AS c1, column2 AS c2 FROM (VALUES {values}) AS literal) AS v"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {series_id: (_as_moment(ts), value) for series_id, ts, value in rows if ts is not None}


def _late_series(pairs: list[_Pair]) -> set[int]:
    """Series whose newest stored reading is newer than anything of theirs in this batch: the batch
    is history for them (a device sending its backlog), not news, and moves no rule."""
    newest: dict[int, datetime] = {pair.series_id: pair.readings[-1].ts for pair in pairs}
    stored = DeviceMetric.objects.filter(pk__in=list(newest)).values_list("pk", "last_ts")
    return {pk for pk, last in stored if last is not None and last > newest[pk]}


def _kinds(
    seen: dict[int, set[str]], devices: dict[int, tuple[str, int]]
) -> list[tuple[int, tuple[str | None, int | None]]]:
    return [(device_id, devices.get(device_id, (None, None))) for device_id in seen]


def _pairs_of(
    stored: list[StoredReading], ruleset: RuleSet
) -> tuple[list[_Pair], dict[int, set[str]], list[AlertRule]]:
    """(rule, series) pairs to evaluate, the devices heard from (with their metrics), and the
    no-data rules watching those devices."""
    by_series: dict[int, list[StoredReading]] = defaultdict(list)
    for reading in stored:
        by_series[reading.series_id].append(reading)
    devices: dict[int, tuple[str, int]] = {}
    if ruleset.needs_devices:
        device_ids = {reading.device_id for reading in stored}
        devices = {
            pk: (kind, subsystem_id)
            for pk, kind, subsystem_id in Device.objects.filter(pk__in=device_ids).values_list(
                "pk", "kind", "subsystem_id"
            )
        }
    pairs: list[_Pair] = []
    seen: dict[int, set[str]] = defaultdict(set)  # device → metrics heard from in this batch
    for series_id, readings in by_series.items():
        readings.sort(key=lambda r: r.ts)
        first = readings[0]
        seen[first.device_id].add(first.metric)
        kind, subsystem_id = devices.get(first.device_id, (None, None))
        for rule in ruleset.by_metric.get(first.metric, ()):
            if in_scope(rule, device_id=first.device_id, kind=kind, subsystem_id=subsystem_id):
                pairs.append(_Pair(rule, series_id, first.device_id, readings))
    silent_rules = [
        rule
        for rule in ruleset.no_data
        if any(in_scope(rule, device_id=d, kind=k, subsystem_id=s) for d, (k, s) in _kinds(seen, devices))
    ]
    return pairs, seen, silent_rules


def alerts_evaluate(*, stored: list[StoredReading], now: datetime) -> list[Alert]:
    """The alerts raised or cleared by these readings (call inside the ingest transaction; the
    caller publishes them after commit)."""
    if not stored:
        return []
    ruleset = rules_active()
    if ruleset.empty:
        return []
    pairs, seen, silent_rules = _pairs_of(stored, ruleset)
    if not pairs and not silent_rules:
        return []
    rule_ids = {pair.rule.pk for pair in pairs} | {rule.pk for rule in silent_rules}
    open_alerts: dict[tuple[int, int | None], Alert | None] = {
        (alert.rule_id, alert.device_id): alert
        for alert in Alert.objects.filter(rule_id__in=rule_ids, device_id__in=list(seen))
        .exclude(status=Alert.Status.CLEARED)
        .select_related("rule", "device", "unit")
    }
    changed: list[Alert] = []
    # data came back: the no-data alerts of these devices (of these series) end
    for rule in silent_rules:
        for device_id, metrics in seen.items():
            alert = open_alerts.get((rule.pk, device_id))
            if alert is not None and (not rule.metric or rule.metric in metrics):
                changed.append(_clear(alert, comment=DATA_BACK_COMMENT, at=now))
    if pairs:
        changed += _evaluate_pairs(pairs, open_alerts)
    return changed


@dataclass
class _Outcome:
    changed: list[Alert] = field(default_factory=list)
    touched: dict[int, Alert] = field(default_factory=dict)
    device_ids: set[int] = field(default_factory=set)
    devices: dict[int, Device] = field(default_factory=dict)  # loaded at the first raise, all at once

    def device(self, pk: int) -> Device:
        if not self.devices:
            self.devices = Device.objects.select_related("unit").in_bulk(list(self.device_ids))
        return self.devices[pk]


@dataclass
class _State:
    """A pair's debouncing state in memory; written back only when the breach count or start moved."""

    breach_since: datetime | None = None
    breach_count: int = 0
    last_ts: datetime | None = None
    last_value: float | None = None
    loaded: tuple[datetime | None, int] = (None, 0)

    @property
    def dirty(self) -> bool:
        return (self.breach_since, self.breach_count) != self.loaded


def _step(
    pair: _Pair,
    state: _State,
    alert: Alert | None,
    outcome: _Outcome,
    previous: tuple[datetime, float] | None,
) -> Alert | None:
    """Walk one series' new readings through one rule; returns the pair's open alert after them."""
    rule = pair.rule
    for reading in pair.readings:
        measured = measure(rule, ts=reading.ts, value=reading.value, previous=previous)
        previous = (reading.ts, reading.value)
        if measured is None:
            continue
        state.last_ts, state.last_value = reading.ts, measured
        if not breaches(rule, measured):
            state.breach_since, state.breach_count = None, 0
            if alert is not None:
                outcome.changed.append(_clear(alert, comment=AUTO_CLEAR_COMMENT, at=reading.ts))
                alert = None
            continue
        if state.breach_count == 0 or state.breach_since is None:
            state.breach_since = reading.ts
        state.breach_count += 1
        held = (reading.ts - state.breach_since).total_seconds() >= rule.duration_seconds
        if not held or state.breach_count < max(1, rule.repeat_count):
            continue
        if alert is None:
            alert = _raise(pair, reading, measured, outcome.device(pair.device_id))
            outcome.changed.append(alert)
        else:
            alert.last_at, alert.value = reading.ts, measured
            outcome.touched[alert.pk] = alert
    return alert


def _load_states(pairs: list[_Pair]) -> dict[tuple[int, int], _State]:
    keys = {(p.rule.pk, p.series_id) for p in pairs}
    rows = RuleState.objects.filter(
        rule_id__in={p.rule.pk for p in pairs}, series_id__in={p.series_id for p in pairs}
    ).values_list("rule_id", "series_id", "breach_since", "breach_count", "last_ts", "last_value")
    return {
        (rule_id, series_id): _State(since, count, last_ts, last_value, loaded=(since, count))
        for rule_id, series_id, since, count, last_ts, last_value in rows
        if (rule_id, series_id) in keys
    }


def _evaluate_pairs(
    pairs: list[_Pair], open_alerts: dict[tuple[int, int | None], Alert | None]
) -> list[Alert]:
    late = _late_series(pairs)
    pairs = [pair for pair in pairs if pair.series_id not in late]
    if not pairs:
        return []
    states = _load_states(pairs)
    previous = _previous_readings(pairs)
    outcome = _Outcome(device_ids={pair.device_id for pair in pairs})
    for pair in pairs:
        state = states.setdefault((pair.rule.pk, pair.series_id), _State())
        alert_key = (pair.rule.pk, pair.device_id)
        open_alerts[alert_key] = _step(
            pair, state, open_alerts.get(alert_key), outcome, previous.get(pair.series_id)
        )
    if outcome.touched:
        Alert.objects.bulk_update(list(outcome.touched.values()), ["last_at", "value"])
    dirty = [(key, state) for key, state in states.items() if state.dirty]
    if dirty:  # one upsert; none at all while nothing breaches
        RuleState.objects.bulk_create(
            [
                RuleState(
                    rule_id=rule_id,
                    series_id=series_id,
                    breach_since=state.breach_since,
                    breach_count=state.breach_count,
                    last_ts=state.last_ts,
                    last_value=state.last_value,
                )
                for (rule_id, series_id), state in dirty
            ],
            update_conflicts=True,
            unique_fields=["rule", "series"],
            update_fields=["breach_since", "breach_count", "last_ts", "last_value"],
        )
    return outcome.changed


def _metric_name(device: Device, code: str) -> str:
    """The metric as people call it ("Mực nước"), for an alert's message; its code if unnamed."""
    return (
        DeviceMetric.objects.filter(device=device, code=code).values_list("name", flat=True).first() or code
    )


def _raise(pair: _Pair, reading: StoredReading, measured: float, device: Device) -> Alert:
    from tiendo.ioc.services import alert_raise

    alert, _created = alert_raise(
        rule=pair.rule,
        device=device,
        value=measured,
        at=reading.ts,
        message=_message(pair.rule, device.name, _metric_name(device, reading.metric), measured),
    )
    return alert


def _clear(alert: Alert, *, comment: str, at: datetime) -> Alert:
    from tiendo.ioc.services import alert_clear

    return alert_clear(actor=None, alert=alert, comment=comment, at=at, publish=False)


# --- the periodic check: silence and the plan ----------------------------------------------------


@dataclass
class CheckRun:
    raised: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    failed: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "raised": len(self.raised),
            "cleared": len(self.cleared),
            "offline": len(self.offline),
            "failed": self.failed,
        }


def silence_minutes(rule: AlertRule) -> int | None:
    try:
        minutes = int(rule.params.get("minutes", 0))
    except (TypeError, ValueError, AttributeError):
        return None
    return minutes if minutes > 0 else None


def _devices_in_scope(rule: AlertRule) -> Q:
    scope = Q(active=True)
    if rule.device_id is not None:
        scope &= Q(pk=rule.device_id)
    if rule.device_kind:
        scope &= Q(kind=rule.device_kind)
    if rule.subsystem_id is not None:
        scope &= Q(subsystem_id=rule.subsystem_id)
    return scope


def silent_devices(rule: AlertRule, *, now: datetime) -> list[tuple[Device, datetime | None]]:
    """Devices (or their series, with a metric) silent for the rule's minutes, with their last time.

    A device that never reported counts from the day it was registered."""
    minutes = silence_minutes(rule)
    if minutes is None:
        return []
    since = now - timedelta(minutes=minutes)
    devices = Device.objects.filter(_devices_in_scope(rule)).select_related("unit")
    if not rule.metric:
        silent = devices.filter(
            Q(last_seen_at__lt=since) | Q(last_seen_at__isnull=True, created_at__lt=since)
        )
        return [(device, device.last_seen_at) for device in silent]
    series = DeviceMetric.objects.filter(device__in=devices, code=rule.metric).filter(
        Q(last_ts__lt=since) | Q(last_ts__isnull=True, device__created_at__lt=since)
    )
    return [(s.device, s.last_ts) for s in series.select_related("device__unit")]


def _check_no_data(rule: AlertRule, *, now: datetime, run: CheckRun) -> None:
    from tiendo.ioc.services import alert_raise, device_set_offline

    minutes = silence_minutes(rule)
    silent = silent_devices(rule, now=now)
    already = set(
        Alert.objects.filter(rule=rule, device__in=[d for d, _ in silent])
        .exclude(status=Alert.Status.CLEARED)
        .values_list("device_id", flat=True)
    )
    for device, last in silent:
        if device.pk not in already:
            names = {
                "rule": rule.name,
                "device": device.name,
                "metric": _metric_name(device, rule.metric) if rule.metric else _("mọi chỉ số"),
                "minutes": minutes,
                "last": timezone.localtime(last).strftime("%d/%m/%Y %H:%M") if last else _("chưa bao giờ"),
            }
            alert, created = alert_raise(
                rule=rule,
                device=device,
                value=None,
                at=now,
                message=_(
                    "%(rule)s: %(device)s không gửi %(metric)s quá %(minutes)s phút (lần cuối: %(last)s)"
                )
                % names,
            )
            if created:
                run.raised.append(alert)
        if not rule.metric and device.state == Device.State.ONLINE:
            device_set_offline(device_code=device.code, at=now, source="ioc-check")
            run.offline.append(device.code)


def indicator_off_track(indicator: Any, *, as_of: Any) -> tuple[bool, str]:
    """Off track by the analytics' own reading of the indicator in its year: at risk (missed, data
    missing after the deadline, or short of the target before it) and not on pace by the Open SDG
    progress method. Returns (off track, what the plan's pages say about it)."""
    from tiendo.analytics.progress import ON_TRACK, TARGET_ACHIEVED
    from tiendo.analytics.selectors import evaluate_indicators

    row = evaluate_indicators(user=AnonymousUser(), indicators=[indicator], as_of=as_of)[0]
    progress = row.progress
    off = row.at_risk and progress.status not in (ON_TRACK, TARGET_ACHIEVED)
    return off, f"{row.evaluation.label} · {progress.label}"


def _check_indicator(rule: AlertRule, *, now: datetime, run: CheckRun) -> None:
    from tiendo.ioc.services import alert_raise
    from tiendo.plans.models import Indicator

    if rule.indicator_id is None:
        return
    indicator = Indicator.objects.select_related(
        "plan__province", "group", "own_element", "numerator", "denominator"
    ).get(pk=rule.indicator_id)
    off, said = indicator_off_track(indicator, as_of=timezone.localdate(now))
    open_alert = (
        Alert.objects.filter(rule=rule, device=None)
        .exclude(status=Alert.Status.CLEARED)
        .select_related("rule", "unit")
        .first()
    )
    if off and open_alert is None:
        names = {"rule": rule.name, "indicator": indicator.label, "said": said}
        alert, created = alert_raise(
            rule=rule,
            device=None,
            unit=indicator.plan.province,
            value=None,
            at=now,
            message=_("%(rule)s: chỉ tiêu %(indicator)s chệch hướng (%(said)s)") % names,
        )
        if created:
            run.raised.append(alert)
    elif not off and open_alert is not None:
        run.cleared.append(_clear(open_alert, comment=INDICATOR_BACK_COMMENT, at=now))


def alerts_check(*, now: datetime | None = None) -> CheckRun:
    """The periodic check (`tiendo ioc-check`, the worker's task): silent devices and series, and
    indicators of the plan off track. One rule's failure never stops the others."""
    now = now or timezone.now()
    run = CheckRun()
    rules = AlertRule.objects.filter(
        active=True, condition__in=[AlertRule.Condition.NO_DATA, AlertRule.Condition.INDICATOR]
    ).select_related("device", "subsystem")
    for rule in rules:
        try:
            with transaction.atomic():
                if rule.condition == AlertRule.Condition.NO_DATA:
                    _check_no_data(rule, now=now, run=run)
                else:
                    _check_indicator(rule, now=now, run=run)
        except Exception:
            logger.exception("ioc-check: rule %s failed", rule.code)
            run.failed += 1
    events = [live.alert_event(alert) for alert in run.raised + run.cleared]
    if events:
        live.publish_many(events)
    return run
