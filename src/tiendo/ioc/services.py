"""Writes of the IOC: device status, alert lifecycle. Each checks permission and audits in its
transaction; each change the live page shows is published after commit."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.ioc import alerts_notify, live
from tiendo.ioc.ingest import device_code_of
from tiendo.ioc.models import Alert, AlertEvent, AlertRule, Device
from tiendo.ioc.selectors import user_may_act_on_alert
from tiendo.orgunits.models import OrgUnit

COMMENT_MAX = 500


def device_set_state(
    *, device_code: str, online: bool, at: datetime | None = None, source: str
) -> Device | None:
    """A device's own word on its state (MQTT status topic, last will). Unknown devices: None."""
    at = at or timezone.now()
    state = Device.State.ONLINE if online else Device.State.OFFLINE
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(code=device_code_of(device_code)).first()
        if device is None:
            return None
        if device.state == state:
            return device
        before = device.state
        device.state, device.state_changed_at = state, at
        if online:
            device.last_seen_at = at
        device.save(update_fields=["state", "state_changed_at", "last_seen_at"])
        audit_record(
            actor=None,
            actor_label=source,
            action="ioc.device_state",
            obj=device,
            changes={"state": [before, state]},
        )
        event = live.device_event(device)
        transaction.on_commit(lambda: live.publish(event))
    return device


def device_set_offline(*, device_code: str, at: datetime | None = None, source: str) -> Device | None:
    return device_set_state(device_code=device_code, online=False, at=at, source=source)


def _clean_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ApplicationError(
            _("Ghi chú: tối đa %(n)s ký tự") % {"n": COMMENT_MAX}, code="invalid", field="comment"
        )
    return comment


def alert_raise(
    *,
    rule: AlertRule,
    device: Device | None,
    value: float | None,
    at: datetime,
    message: str,
    unit: OrgUnit | None = None,
) -> tuple[Alert, bool]:
    """The open alert of (rule, device), raised if there is none. Returns (alert, created).

    Call inside the ingest transaction; the partial unique index keeps one open alert per pair even
    when two consumers race. `unit`: whose alert it is when there is no device (an indicator's)."""
    open_alert = Alert.objects.filter(rule=rule, device=device).exclude(status=Alert.Status.CLEARED).first()
    if open_alert is not None:
        open_alert.last_at, open_alert.value = at, value
        open_alert.save(update_fields=["last_at", "value"])
        return open_alert, False
    if unit is None:
        unit = device.unit if device is not None else rule.subsystem.owner if rule.subsystem else None
    if unit is None:
        raise ApplicationError(_("Quy tắc cảnh báo không gắn với đơn vị nào"), field="rule")
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                device=device,
                unit=unit,
                severity=rule.severity,
                message=message[:500],
                value=value,
                started_at=at,
                last_at=at,
            )
    except IntegrityError:
        # another consumer raised it between our read and our write: theirs is the one
        alert = Alert.objects.get(
            rule=rule, device=device, status__in=[Alert.Status.ACTIVE, Alert.Status.ACKNOWLEDGED]
        )
        return alert, False
    AlertEvent.objects.create(
        alert=alert, kind=AlertEvent.Kind.RAISED, at=at, value=value, comment=message[:500]
    )
    audit_record(
        actor=None, actor_label="ioc", action="ioc.alert_raised", obj=alert, changes={"value": value}
    )
    alerts_notify.alert_notify(alert=alert, event=AlertEvent.Kind.RAISED)
    return alert, True


def _locked_for_action(*, actor: Actor, alert: Alert) -> Alert:
    if not user_may_act_on_alert(user=actor, alert=alert):
        raise NotFoundError()
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("rule", "device", "unit")
        .get(pk=alert.pk)
    )


def alert_acknowledge(*, actor: Actor, alert: Alert, comment: str = "") -> Alert:
    """Someone on duty has seen it. Only an active alert can be acknowledged."""
    comment = _clean_comment(comment)
    with transaction.atomic():
        alert = _locked_for_action(actor=actor, alert=alert)
        if alert.status != Alert.Status.ACTIVE:
            raise ApplicationError(
                _("Cảnh báo này không còn ở trạng thái đang xảy ra"), code="conflict", field="status"
            )
        now = timezone.now()
        alert.status, alert.acknowledged_at = Alert.Status.ACKNOWLEDGED, now
        alert.acknowledged_by = actor if actor.is_authenticated else None
        alert.acknowledge_comment = comment
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledge_comment"])
        AlertEvent.objects.create(
            alert=alert,
            kind=AlertEvent.Kind.ACKNOWLEDGED,
            at=now,
            actor=alert.acknowledged_by,
            comment=comment,
        )
        audit_record(actor=actor, action="ioc.alert_acknowledged", obj=alert, reason=comment)
        event = live.alert_event(alert)
        transaction.on_commit(lambda: live.publish(event))
    return alert


def alert_clear(
    *,
    actor: Actor | None,
    alert: Alert,
    comment: str = "",
    at: datetime | None = None,
    publish: bool = True,
) -> Alert:
    """Over: by a person (actor) or by the rule when the value is back to normal (actor None).

    `publish=False` when the caller publishes the change itself (the ingest pipeline does)."""
    comment = _clean_comment(comment)
    with transaction.atomic():
        if actor is not None:
            alert = _locked_for_action(actor=actor, alert=alert)
        else:
            alert = (
                Alert.objects.select_for_update(of=("self",))
                .select_related("rule", "device", "unit")
                .get(pk=alert.pk)
            )
        if alert.status == Alert.Status.CLEARED:
            raise ApplicationError(_("Cảnh báo này đã kết thúc"), code="conflict", field="status")
        now = at or timezone.now()
        person = actor if actor is not None and actor.is_authenticated else None
        alert.status, alert.cleared_at, alert.cleared_by = Alert.Status.CLEARED, now, person
        alert.clear_comment = comment
        alert.save(update_fields=["status", "cleared_at", "cleared_by", "clear_comment"])
        AlertEvent.objects.create(
            alert=alert, kind=AlertEvent.Kind.CLEARED, at=now, actor=person, comment=comment
        )
        audit_record(
            actor=actor,
            actor_label="" if person else "ioc",
            action="ioc.alert_cleared",
            obj=alert,
            reason=comment,
        )
        alerts_notify.alert_notify(alert=alert, event=AlertEvent.Kind.CLEARED)
        if publish:
            event = live.alert_event(alert)
            transaction.on_commit(lambda: live.publish(event))
    return alert
