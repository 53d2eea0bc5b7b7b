"""Who hears of an alert, and how: in the app, by e-mail and to a webhook.

- In the app: reporting's Notification (the bell the reports pages already show), for the operators
  and admins of the alert's unit and of the units above it, written in the transaction that raises.
- By e-mail (the rule's `notify_emails`) and to the rule's webhook (POST JSON, 5 s timeout, a few
  attempts): through a django-tasks task enqueued after commit, so an alert that was rolled back never
  notifies and a slow mail server or endpoint never holds up ingest. Every delivery is recorded on
  the alert as an AlertEvent: "notified", or "notify_failed" for each failed attempt.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.ioc import live
from tiendo.ioc.models import Alert, AlertEvent
from tiendo.orgunits.models import Membership
from tiendo.reporting.models import Notification

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF_SECONDS = 2.0  # attempt n waits n × this before trying again
NOTIFIED_ROLES = (Membership.Role.OPERATOR, Membership.Role.ADMIN)


def alert_link(alert: Alert) -> str:
    return reverse("ioc-alert", args=[alert.pk])


def _ancestor_paths(path: str) -> list[str]:
    """ "/51/21061/" → ["/51/", "/51/21061/"]."""
    codes = [code for code in path.split("/") if code]
    return ["/" + "/".join(codes[: n + 1]) + "/" for n in range(len(codes))]


def _text(alert: Alert, event: str) -> str:
    names = {"severity": alert.get_severity_display(), "message": alert.message}
    if event == AlertEvent.Kind.CLEARED:
        return _("[%(severity)s] Đã kết thúc: %(message)s") % names
    return _("[%(severity)s] Cảnh báo: %(message)s") % names


def alert_notify(*, alert: Alert, event: str) -> None:
    """Call inside the transaction that raised or cleared the alert."""
    if event == AlertEvent.Kind.RAISED:
        users = set(
            Membership.objects.filter(
                role__in=NOTIFIED_ROLES, unit__path__in=_ancestor_paths(alert.unit.path)
            ).values_list("user_id", flat=True)
        )
        text, link = _text(alert, event)[:500], alert_link(alert)
        Notification.objects.bulk_create(
            [Notification(user_id=user_id, text=text, link=link) for user_id in sorted(users)]
        )
    rule = alert.rule
    if rule.notify_emails or rule.notify_webhook:
        alert_id = alert.pk
        transaction.on_commit(lambda: _enqueue(alert_id, event))


def _enqueue(alert_id: int, event: str) -> None:
    from tiendo.ioc.alerts_tasks import alert_deliver_task

    try:
        alert_deliver_task.enqueue(alert_id=alert_id, event=event)
    except Exception:  # an on-commit callback must never fail the commit that already happened
        logger.exception("alert %s: the %s notification could not be queued", alert_id, event)


def _record(alert: Alert, kind: str, comment: str) -> None:
    AlertEvent.objects.create(alert=alert, kind=kind, at=timezone.now(), comment=comment[:500])


def alert_deliver(*, alert_id: int, event: str) -> dict[str, int]:
    """E-mail and webhook for one event of one alert (the task's body). Returns what was delivered."""
    alert = Alert.objects.select_related("rule", "device", "unit").filter(pk=alert_id).first()
    if alert is None:
        return {"emails": 0, "webhooks": 0, "failures": 0}
    done = {"emails": 0, "webhooks": 0, "failures": 0}
    text = _text(alert, event)
    url = settings.TIENDO_SITE_URL + alert_link(alert)
    emails = [str(e) for e in alert.rule.notify_emails]
    if emails:
        try:
            send_mail(f"[tiendo IOC] {text}"[:200], f"{text}\n\n{url}\n", None, emails)
        except Exception as exc:  # the mail server's refusal, recorded for the operator to see
            logger.exception("alert %s: e-mail not sent", alert_id)
            _record(alert, AlertEvent.Kind.NOTIFY_FAILED, f"e-mail: {exc}")
            done["failures"] += 1
        else:
            _record(alert, AlertEvent.Kind.NOTIFIED, "e-mail: " + ", ".join(emails))
            done["emails"] = len(emails)
    if alert.rule.notify_webhook:
        payload = {**live.alert_event(alert), "event": event, "url": url}
        failures = webhook_post(alert=alert, url=alert.rule.notify_webhook, payload=payload)
        done["failures"] += failures
        done["webhooks"] = int(failures < WEBHOOK_ATTEMPTS)
    return done


def webhook_post(*, alert: Alert, url: str, payload: dict[str, Any]) -> int:
    """POST the JSON, up to WEBHOOK_ATTEMPTS times; each failure recorded. Returns the failures."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "tiendo-ioc"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problem = str(getattr(exc, "reason", exc))
        else:
            _record(alert, AlertEvent.Kind.NOTIFIED, f"webhook: HTTP {status}")
            return attempt - 1
        _record(
            alert,
            AlertEvent.Kind.NOTIFY_FAILED,
            f"webhook: lần {attempt}/{WEBHOOK_ATTEMPTS}: {problem}",
        )
        if attempt < WEBHOOK_ATTEMPTS:
            time.sleep(WEBHOOK_BACKOFF_SECONDS * attempt)
    return WEBHOOK_ATTEMPTS
