"""Writes of the alert rules: the CĐS office creates, edits and deactivates them, each audited in the
same transaction. Every error names the field it is about, in Vietnamese.

A rule is never deleted from the pages: deactivating keeps its alerts' history readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.ioc.alerting import OPERATORS
from tiendo.ioc.models import AlertRule, Device, Severity, Subsystem
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.models import Indicator

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
METRIC = re.compile(r"^[a-z0-9_-]{1,40}$")
AUDITED = [
    "code",
    "name",
    "severity",
    "condition",
    "metric",
    "device_id",
    "device_kind",
    "subsystem_id",
    "indicator_id",
    "operator",
    "threshold",
    "params",
    "duration_seconds",
    "repeat_count",
    "notify_emails",
    "notify_webhook",
    "active",
]


@dataclass(frozen=True)
class RuleInput:
    """A rule as the form (or a caller) gives it: codes, not objects; numbers as text or numbers."""

    code: str
    name: str
    severity: str = Severity.WARNING
    condition: str = AlertRule.Condition.THRESHOLD
    metric: str = ""
    device: str = ""  # a device's code
    device_kind: str = ""
    subsystem: str = ""  # a subsystem's code
    indicator: str = ""  # an indicator's id
    operator: str = ""
    threshold: str | float | None = None
    per_minutes: str | float | None = None  # rate: the change per this many minutes
    minutes: str | int | None = None  # no data: silence longer than this
    duration_seconds: str | int = 0
    repeat_count: str | int = 1
    notify_emails: list[str] = field(default_factory=list)
    notify_webhook: str = ""
    active: bool = True


def _office_only(actor: Actor) -> None:
    if not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS được quản lý quy tắc cảnh báo"))


def _number(
    raw: object, *, name: str, label: str, integer: bool = False, minimum: float | None = None
) -> Any:
    text = str(raw).strip().replace(",", ".") if raw is not None else ""
    if text == "":
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise ApplicationError(
            _("%(label)s: phải là một số") % {"label": label}
            if not integer
            else _("%(label)s: phải là một số nguyên") % {"label": label},
            field=name,
        ) from None
    if minimum is not None and value < minimum:
        raise ApplicationError(
            _("%(label)s: không được nhỏ hơn %(minimum)s") % {"label": label, "minimum": minimum}, field=name
        )
    return value


def _required(value: object, *, name: str, label: str) -> None:
    if value in (None, ""):
        raise ApplicationError(_("%(label)s: bắt buộc với loại điều kiện này") % {"label": label}, field=name)


def _identity(data: RuleInput, *, rule: AlertRule | None) -> dict[str, Any]:
    code = data.code.strip()
    if not CODE.match(code):
        raise ApplicationError(
            _("Mã quy tắc: chữ thường không dấu, số, gạch ngang; tối đa 60 ký tự"), field="code"
        )
    same_code = AlertRule.objects.filter(code=code)
    if rule is not None:
        same_code = same_code.exclude(pk=rule.pk)
    if same_code.exists():
        raise ApplicationError(_("Mã quy tắc: đã có quy tắc mang mã này"), field="code")
    name = data.name.strip()
    if not name or len(name) > 300:
        raise ApplicationError(_("Tên quy tắc: bắt buộc, tối đa 300 ký tự"), field="name")
    if data.severity not in Severity.values:
        raise ApplicationError(_("Mức độ: không hợp lệ"), field="severity")
    if data.condition not in AlertRule.Condition.values:
        raise ApplicationError(_("Loại điều kiện: không hợp lệ"), field="condition")
    return {"code": code, "name": name, "severity": data.severity, "condition": data.condition}


def _scope(data: RuleInput) -> dict[str, Any]:
    metric = data.metric.strip()
    if metric and not METRIC.match(metric):
        raise ApplicationError(_("Chỉ số đo: mã không hợp lệ"), field="metric")
    device = Device.objects.filter(code=data.device.strip()).first() if data.device.strip() else None
    if data.device.strip() and device is None:
        raise ApplicationError(_("Thiết bị: không có thiết bị mang mã này"), field="device")
    if data.device_kind and data.device_kind not in Device.Kind.values:
        raise ApplicationError(_("Loại thiết bị: không hợp lệ"), field="device_kind")
    subsystem = (
        Subsystem.objects.filter(code=data.subsystem.strip()).first() if data.subsystem.strip() else None
    )
    if data.subsystem.strip() and subsystem is None:
        raise ApplicationError(_("Hệ thống: không có hệ thống mang mã này"), field="subsystem")
    indicator_id = _number(data.indicator, name="indicator", label=_("Chỉ tiêu"), integer=True)
    indicator = Indicator.objects.filter(pk=indicator_id).first() if indicator_id is not None else None
    if indicator_id is not None and indicator is None:
        raise ApplicationError(_("Chỉ tiêu: không tìm thấy"), field="indicator")
    if data.condition == AlertRule.Condition.INDICATOR:
        _required(indicator, name="indicator", label=_("Chỉ tiêu"))
        return {"metric": "", "device": None, "device_kind": "", "subsystem": None, "indicator": indicator}
    return {
        "metric": metric,
        "device": device,
        "device_kind": data.device_kind,
        "subsystem": subsystem,
        "indicator": None,
    }


def _condition(data: RuleInput, *, metric: str) -> dict[str, Any]:
    threshold = _number(data.threshold, name="threshold", label=_("Ngưỡng"))
    params: dict[str, Any] = {}
    operator = ""
    if data.condition in (AlertRule.Condition.THRESHOLD, AlertRule.Condition.RATE):
        _required(metric, name="metric", label=_("Chỉ số đo"))
        if data.operator not in OPERATORS:
            raise ApplicationError(_("Phép so sánh: chọn một trong >, >=, <, <=, ="), field="operator")
        operator = data.operator
        _required(threshold, name="threshold", label=_("Ngưỡng"))
    if data.condition == AlertRule.Condition.RATE:
        per = _number(data.per_minutes, name="per_minutes", label=_("Số phút"), minimum=1)
        params["per_minutes"] = per if per is not None else 60
    if data.condition == AlertRule.Condition.NO_DATA:
        label = _("Số phút không có số liệu")
        minutes = _number(data.minutes, name="minutes", label=label, integer=True, minimum=1)
        _required(minutes, name="minutes", label=label)
        params["minutes"] = minutes
    duration = _number(
        data.duration_seconds, name="duration_seconds", label=_("Kéo dài (giây)"), integer=True, minimum=0
    )
    repeat = _number(
        data.repeat_count, name="repeat_count", label=_("Số lần liên tiếp"), integer=True, minimum=1
    )
    return {
        "operator": operator,
        "threshold": threshold,
        "params": params,
        "duration_seconds": duration or 0,
        "repeat_count": repeat or 1,
    }


def _notify(data: RuleInput) -> dict[str, Any]:
    emails = [e.strip() for e in data.notify_emails if e.strip()]
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(
                _("Thư điện tử nhận thông báo: địa chỉ không hợp lệ: %(email)s") % {"email": email},
                field="notify_emails",
            ) from None
    webhook = data.notify_webhook.strip()
    if webhook:
        try:
            URLValidator(schemes=["http", "https"])(webhook)
        except ValidationError:
            raise ApplicationError(
                _("Webhook: địa chỉ http(s) không hợp lệ"), field="notify_webhook"
            ) from None
    return {"notify_emails": emails, "notify_webhook": webhook}


def rule_fields(data: RuleInput, *, rule: AlertRule | None) -> dict[str, Any]:
    """The model's fields from the input, or an ApplicationError naming the first bad field."""
    scope = _scope(data)
    return (
        _identity(data, rule=rule)
        | scope
        | _condition(data, metric=scope["metric"])
        | _notify(data)
        | {"active": data.active}
    )


def _snapshot(rule: AlertRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in AUDITED}


def rule_create(*, actor: Actor, data: RuleInput) -> AlertRule:
    _office_only(actor)
    with transaction.atomic():
        rule = AlertRule.objects.create(**rule_fields(data, rule=None))
        audit_record(
            actor=actor,
            action="ioc.rule_created",
            obj=rule,
            changes={k: [None, v] for k, v in _snapshot(rule).items()},
        )
    return rule


def rule_update(*, actor: Actor, rule: AlertRule, data: RuleInput) -> AlertRule:
    _office_only(actor)
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        before = _snapshot(rule)
        for name, value in rule_fields(data, rule=rule).items():
            setattr(rule, name, value)
        rule.save()
        after = _snapshot(rule)
        changes = {k: [before[k], after[k]] for k in AUDITED if before[k] != after[k]}
        if changes:
            audit_record(actor=actor, action="ioc.rule_updated", obj=rule, changes=changes)
    return rule


def rule_deactivate(*, actor: Actor, rule: AlertRule) -> AlertRule:
    """No more alerts from this rule; its open alerts stay for people to clear."""
    _office_only(actor)
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        if rule.active:
            rule.active = False
            rule.save(update_fields=["active", "updated_at"])
            audit_record(
                actor=actor, action="ioc.rule_deactivated", obj=rule, changes={"active": [True, False]}
            )
    return rule
