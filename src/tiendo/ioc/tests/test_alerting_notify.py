"""Who hears of an alert: the bell in the app, e-mail and a webhook (a real HTTP server on loopback)."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from tiendo.ioc import alerts_notify, live
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.models import Alert, AlertEvent, AlertRule, Severity
from tiendo.ioc.services import alert_acknowledge, alert_clear
from tiendo.reporting.models import Notification

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class Receiver:
    """A webhook endpoint: answers `status` and keeps what it was sent."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.bodies.append((self.headers["Content-Type"], json.loads(self.rfile.read(length))))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(status=200):
        made.append(Receiver(status))
        return made[-1]

    yield make
    for r in made:
        r.close()


def pm_rule(**fields):
    return AlertRule.objects.create(
        code="pm25-high",
        name="PM2.5 cao",
        severity=Severity.CRITICAL,
        metric="pm25",
        operator=">",
        threshold=50,
        **fields,
    )


def send(value, minute=0):
    return readings_ingest(
        readings=[
            IncomingReading(
                device="aq-dungquat-01", metric="pm25", ts=T0 + timedelta(minutes=minute), value=value
            )
        ],
        source="test",
        now=T0 + timedelta(minutes=minute + 1),
    )


def test_the_operators_of_the_unit_and_above_are_notified_in_the_app_and_others_are_not(
    ioc_registry, vantuong_operator, camthanh_operator, office_admin
):
    pm_rule()

    send(80)

    alert = Alert.objects.get()
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert notified == {"vantuong.operator", "office"}
    note = Notification.objects.get(user=vantuong_operator)
    assert note.link == f"/ioc/alerts/{alert.pk}/" and "[Nghiêm trọng]" in note.text


def test_an_e_mail_is_sent_after_commit_and_recorded_on_the_alert(
    ioc_registry, django_capture_on_commit_callbacks
):
    pm_rule(notify_emails=["truc.ioc@quangngai.gov.vn"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(80)
    assert mail.outbox == []  # nothing leaves before the alert is committed
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["truc.ioc@quangngai.gov.vn"] and "PM2.5 cao" in mail.outbox[0].subject
    alert = Alert.objects.get()
    assert f"/ioc/alerts/{alert.pk}/" in mail.outbox[0].body
    assert AlertEvent.objects.filter(alert=alert, kind="notified", comment__startswith="e-mail").exists()


def test_the_webhook_receives_the_alert_as_json_when_raised_and_when_cleared(
    ioc_registry, receiver, django_capture_on_commit_callbacks
):
    endpoint = receiver(200)
    pm_rule(notify_webhook=endpoint.url)

    with django_capture_on_commit_callbacks(execute=True):
        send(80, minute=0)
    with django_capture_on_commit_callbacks(execute=True):
        send(10, minute=1)

    (kind, raised), (_, cleared) = endpoint.bodies
    assert kind == "application/json"
    assert raised["event"] == "raised" and raised["device"] == "aq-dungquat-01" and raised["value"] == 80
    assert raised["severity"] == "critical" and raised["url"].endswith(f"/ioc/alerts/{raised['id']}/")
    assert cleared["event"] == "cleared" and cleared["status"] == "cleared"
    assert AlertEvent.objects.filter(kind="notified", comment="webhook: HTTP 200").count() == 2


def test_a_failing_webhook_is_tried_again_and_every_failure_is_recorded(
    ioc_registry, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(alerts_notify, "WEBHOOK_BACKOFF_SECONDS", 0)
    endpoint = receiver(503)
    pm_rule(notify_webhook=endpoint.url)

    with django_capture_on_commit_callbacks(execute=True):
        send(80)

    assert len(endpoint.bodies) == alerts_notify.WEBHOOK_ATTEMPTS
    failures = list(AlertEvent.objects.filter(kind="notify_failed").values_list("comment", flat=True))
    assert failures == [f"webhook: lần {n}/3: HTTP 503" for n in (1, 2, 3)]
    assert Alert.objects.get().status == Alert.Status.ACTIVE  # a failed delivery never undoes the alert


def test_acknowledge_and_clear_publish_a_live_event_after_commit(
    ioc_registry, office_admin, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(live, "publish_many", lambda events: published.extend(events))
    pm_rule()
    send(80)
    alert = Alert.objects.get()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alert_acknowledge(actor=office_admin, alert=alert, comment="đã thấy")
    assert published == []
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        alert_clear(actor=office_admin, alert=alert, comment="xong")

    assert [(e["type"], e["id"], e["status"]) for e in published] == [
        ("alert", alert.pk, "acknowledged"),
        ("alert", alert.pk, "cleared"),
    ]
