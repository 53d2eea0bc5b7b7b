"""QoS 1 redelivery for real: a `tiendo ingest` process killed with SIGKILL mid-stream (messages
received, not yet committed, not acknowledged), then started again: every published reading is
stored exactly once. The consumer is another process, so it needs a database both can open:
PostgreSQL (pytest's SQLite test database lives in this process's memory)."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection

from tiendo.ioc.models import DeviceMetric, Reading
from tiendo.ioc.tests.mqtt_support import BASE, Publisher, broker, prime

__all__ = ["broker"]

pytestmark = pytest.mark.django_db(transaction=True)

TOPIC = "tiendo/21061/aq-dungquat-01/pm10"
CLIENT_ID = "crash-test-ingest"


def consumer_environment() -> dict[str, str]:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("a consumer in another process needs a database it can open: PostgreSQL")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    url = f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "TIENDO_DB_POOL": "false"}


def start_consumer(port: int, environment: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from tiendo.cli import main; main()", "ingest", "--port", str(port)]
    command += [
        "--client-id",
        CLIENT_ID,
        "--batch-size",
        "200",
        "--batch-ms",
        "300",
        "--receive-maximum",
        "400",
    ]
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_every_reading_is_stored_exactly_once_after_the_consumer_is_killed_mid_stream(ioc_registry, broker):
    environment = consumer_environment()
    total = 3000
    series = DeviceMetric.objects.get(device__code="aq-dungquat-01", code="pm10")
    stored = Reading.objects.filter(series=series)
    prime(broker.port, CLIENT_ID)  # the session and its subscription exist before the first publish
    consumer = start_consumer(broker.port, environment)
    publisher = Publisher(broker.port, client_id="crash-test-publisher")

    def publish_all() -> None:
        for i in range(total):
            ts = (BASE + timedelta(milliseconds=100 * i)).isoformat()
            info = publisher.client.publish(TOPIC, f'{{"ts": "{ts}", "value": {i}}}', qos=1)
            if i % 50 == 49:
                info.wait_for_publish(10)
                time.sleep(0.03)  # ≈ 1,500 messages/s: the kill lands mid-stream

    sender = threading.Thread(target=publish_all)
    sender.start()
    try:
        wait_for(lambda: stored.count() >= 400, 60, "the first batches")
        consumer.send_signal(signal.SIGKILL)  # mid-batch: received, not committed, not acknowledged
        consumer.wait()
        at_kill = stored.count()
        time.sleep(0.5)
        consumer = start_consumer(broker.port, environment)
        sender.join(timeout=60)
        wait_for(lambda: stored.count() >= total, 90, f"{total} readings (have {stored.count()})")
        time.sleep(0.5)  # anything more (a double) would arrive now
        consumer.send_signal(signal.SIGTERM)
        output, errors = consumer.communicate(timeout=30)
    finally:
        publisher.close()
        if consumer.poll() is None:
            consumer.kill()

    assert at_kill < total  # the kill was mid-stream
    assert consumer.returncode == 0, errors
    values = sorted(int(v) for v in stored.values_list("value", flat=True))
    assert values == list(range(total))  # each one, once
    assert "acked=" in output
