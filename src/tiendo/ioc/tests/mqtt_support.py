"""Helpers of the MQTT tests: our own Mosquitto (never the machine's), a publisher, a consumer run
in the test's thread (its writes land in the test's transaction)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tiendo.conftest import IN_CI
from tiendo.ioc.mqtt import Consumer, ConsumerOptions, ConsumerStats
from tiendo.ioc.mqtt_broker import BrokerUnavailableError, Mosquitto

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def broker(tmp_path):
    """A Mosquitto of our own on a free port. Missing: skipped here, a failure under CI=true."""
    try:
        instance = Mosquitto(tmp_path / "broker").start()
    except BrokerUnavailableError as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield instance
    instance.stop()


def payload(value: float, *, second: int = 0) -> bytes:
    return json.dumps({"ts": (BASE + timedelta(seconds=second)).isoformat(), "value": value}).encode()


class Publisher:
    def __init__(self, port: int, client_id: str = "test-publisher", **will: str) -> None:
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        self.client.max_inflight_messages_set(500)
        if will:
            self.client.will_set(will["topic"], will["payload"], qos=1, retain=True)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, body: bytes | str, *, qos: int = 1) -> None:
        self.client.publish(topic, body, qos=qos).wait_for_publish(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def consume(
    port: int,
    *,
    client_id: str = "test-ingest",
    messages: int | None = None,
    seconds: float = 10.0,
    **options: Any,
) -> ConsumerStats:
    """Run a consumer in this thread until it has committed `messages` (or, with None, for `seconds`)."""
    consumer = Consumer(ConsumerOptions(port=port, client_id=client_id, batch_ms=50, **options))
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    try:
        if messages is None:
            return consumer.run(stop)
        return consumer.run(stop, until=lambda stats: stats.messages >= messages)
    finally:
        timer.cancel()


def prime(port: int, client_id: str = "test-ingest", *, group: str = "") -> None:
    """Create the consumer's persistent session and its shared subscription, then leave: from now on
    the broker keeps what is published for it."""
    consumer = Consumer(ConsumerOptions(port=port, client_id=client_id, group=group))
    stop, confirmed = threading.Event(), threading.Event()

    def until(_stats: ConsumerStats) -> bool:
        if consumer.subscribed.is_set():
            confirmed.set()
        return confirmed.is_set()

    timer = threading.Timer(10, stop.set)
    timer.start()
    try:
        consumer.run(stop, until=until)
    finally:
        timer.cancel()
    assert confirmed.is_set(), "the broker did not confirm the subscription"
