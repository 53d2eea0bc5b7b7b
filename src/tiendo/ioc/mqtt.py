"""MQTT in: `tiendo ingest`, the consumer that loses nothing (paho-mqtt 2, MQTT v5).

Topics: `tiendo/<unit code>/<device code>/<metric>` with JSON `{"ts": ISO-8601, "value": n}`, a list
of those, or `{"readings": [...]}`; `tiendo/<unit>/<device>/$status` with "online" / "offline" (a
device's birth message and its last will).

Why nothing is lost:
- a persistent session: a fixed client id, `clean_start` off and a session expiry, so the broker keeps
  the subscription and queues QoS 1 messages while the consumer is away (and across its restarts);
- QoS 1 with MANUAL acknowledgement: a message is acknowledged (PUBACK) only after the batch holding
  it is committed by `readings_ingest`. A consumer killed before that gets the message again on
  reconnect; the second copy is a duplicate (device, metric, ts) and is dropped by the table's key,
  so each reading is stored exactly once;
- a database error never acknowledges: the batch is retried with backoff until it commits;
- malformed payloads are counted as refusals (IngestRefusal, reason "malformed") and acknowledged:
  a message that can never be stored is not redelivered for ever.

One consumer or several: by default the consumer subscribes to `tiendo/+/+/+`, and the broker keeps
that subscription and its queue across its own restart (persistence). `--group NAME` makes several
consumers (each with its own client id) share the load through `$share/NAME/tiendo/+/+/+`; but
Mosquitto 2.0 (2.0.11 measured) does NOT restore shared subscriptions from its persistence file: after
a broker restart, what is published before the consumers have reconnected and subscribed again is
answered "no matching subscribers" and dropped, and a retired consumer's session keeps taking its share
until the session expires. Zero loss across a broker restart: one consumer, no group.

Two consumers of a group write the same series at once, and stay correct: additive rollup upserts,
"only where newer" for a series' last value, and one lock order (rows sorted by key) so that one
transaction waits for the other instead of deadlocking; the series' row, locked by the first batch
that touches it, makes the second batch's alert rules run after the first has committed
(test_mqtt_group.py). On 2 cores two consumers ingest about a third more than one (bench/ioc_ingest.py
--consumers 2, docs/benchmarks.md).

Bounded memory: at most `receive_maximum` messages wait in the in-memory queue and `batch_size` more
are being committed. The consumer asks the broker for no more than `receive_maximum` unacknowledged
messages (MQTT v5 Receive Maximum; Mosquitto 2.0.11 was seen sending a few more), and when the queue
is full the network thread stops reading: the rest waits in the broker.

Graceful stop (SIGTERM/SIGINT → `stop`): the batch in hand is committed and acknowledged, then the
client disconnects; what was received but not committed is redelivered to the next run.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import paho.mqtt.client as paho
from django.db import Error as DatabaseError
from django.db import connection, transaction
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from tiendo.ioc.ingest import IncomingReading, Refusal, device_code_of, readings_ingest, refusals_record
from tiendo.ioc.models import Device
from tiendo.ioc.services import device_set_state

log = logging.getLogger("tiendo.ioc.mqtt")

TOPIC_ROOT = "tiendo"
STATUS = "$status"
MAX_READINGS_PER_MESSAGE = 5000  # as the HTTP batch
SOURCE = "mqtt"


def reading_topic(unit: str, device: str, metric: str) -> str:
    return f"{TOPIC_ROOT}/{unit}/{device}/{metric}"


def status_topic(unit: str, device: str) -> str:
    return f"{TOPIC_ROOT}/{unit}/{device}/{STATUS}"


def subscription(group: str = "") -> str:
    """`tiendo/+/+/+`, or with a group the shared subscription `$share/<group>/tiendo/+/+/+`."""
    topic = f"{TOPIC_ROOT}/+/+/+"
    return f"$share/{group}/{topic}" if group else topic


# ------------------------------------------------------------------------------------- payloads


@dataclass
class Parsed:
    """What one message says: readings to check and store, refusals already decided, or a status."""

    readings: list[IncomingReading] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    status: tuple[str, str, bool] | None = None  # (unit code, device code, online)


def _malformed(topic: str, device: str, metric: str) -> Parsed:
    return Parsed(refusals=[Refusal(label=topic, device=device[:120], metric=metric, reason="malformed")])


def parse_message(topic: str, payload: bytes) -> Parsed:
    """Never raises: anything unreadable becomes a "malformed" refusal."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != TOPIC_ROOT or not all(parts[1:]):
        return _malformed(topic, topic, "")
    _root, unit, device, metric = parts
    if metric == STATUS:
        word = payload.decode("utf-8", "replace").strip().strip('"').lower()
        if word in ("online", "offline"):
            return Parsed(status=(unit, device, word == "online"))
        return _malformed(topic, device, metric)
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return _malformed(topic, device, metric)
    items: Any
    if isinstance(data, dict) and "readings" in data:
        items = data["readings"]
    elif isinstance(data, dict):
        items = [data]
    else:
        items = data
    if not isinstance(items, list) or not items or len(items) > MAX_READINGS_PER_MESSAGE:
        return _malformed(topic, device, metric)
    parsed = Parsed()
    for index, item in enumerate(items):
        label = topic if len(items) == 1 else f"{topic}[{index}]"
        if not isinstance(item, dict):
            parsed.refusals.append(Refusal(label=label, device=device, metric=metric, reason="malformed"))
            continue
        # a missing or non-text ts is refused as bad_time by the ingest (never "now": a redelivered
        # copy would then be a second reading)
        parsed.readings.append(
            IncomingReading(
                device=device,
                metric=metric,
                ts=cast(str, item.get("ts")),
                value=item.get("value"),
                unit=unit,
                label=label,
            )
        )
    return parsed


# ------------------------------------------------------------------------------------- consumer


@dataclass(frozen=True)
class ConsumerOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "tiendo-ingest"
    group: str = ""  # "": one consumer, a plain subscription (see the module's text)
    batch_size: int = 2000  # bench/ioc_ingest.py: 2,000 ingests ~10% more than 1,000 on 2 cores
    batch_ms: int = 200
    receive_maximum: int = 8000  # also the in-memory queue's bound
    session_expiry: int = 7 * 24 * 3600
    keepalive: int = 30
    stats_every: float = 0.0  # seconds between log lines of counts; 0: none


@dataclass
class ConsumerStats:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    malformed: int = 0
    statuses: int = 0
    batches: int = 0
    acked: int = 0
    db_retries: int = 0
    connects: int = 0
    most_in_hand: int = 0  # the most messages held in memory at once (≤ receive_maximum + batch_size)

    def line(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in vars(self).items())


@dataclass(frozen=True)
class _Item:
    mid: int
    qos: int
    topic: str
    payload: bytes
    generation: int  # which connection delivered it: acknowledge on that connection only


class Consumer:
    """One consumer process's MQTT side. `run(stop)` returns when `stop` is set (or `until` says so)."""

    def __init__(self, options: ConsumerOptions) -> None:
        if not 1 <= options.batch_size <= options.receive_maximum <= 65535:
            raise ValueError("need 1 ≤ batch_size ≤ receive_maximum ≤ 65535")
        self.options = options
        self.stats = ConsumerStats()
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker has our subscription (SUBACK)
        self.disconnected = threading.Event()  # our DISCONNECT (and every PUBACK before it) is sent
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=options.receive_maximum)
        self._generation = 0
        self._in_batch = 0  # messages taken from the queue, not yet acknowledged
        self._stopping = False
        self._client = self._make_client()

    def _make_client(self) -> paho.Client:
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.options.client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
            reconnect_on_failure=True,
        )
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    # paho's network thread -------------------------------------------------------------------
    def _on_connect(self, client: paho.Client, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        self._generation += 1
        self.stats.connects += 1
        log.info(
            "connected to %s:%s as %s (session present: %s)",
            self.options.host,
            self.options.port,
            self.options.client_id,
            flags.session_present,
        )
        # subscribe on every connection, session or not: Mosquitto 2.0 does not restore a shared
        # subscription from its persistence file. Retained messages only for a new subscription.
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        client.subscribe(subscription(self.options.group), options=options)
        self.connected.set()

    def _on_subscribe(
        self, _client: paho.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any
    ) -> None:
        if all(not reason.is_failure for reason in reasons):
            log.info("subscribed: %s", subscription(self.options.group))
            self.subscribed.set()
        else:
            log.error("subscription %s refused: %s", subscription(self.options.group), reasons)

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        self.disconnected.set()
        log.info("disconnected: %s", reason)

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        # blocks when the queue is full: paho stops reading the socket, the broker holds the rest
        item = _Item(message.mid, message.qos, message.topic, message.payload, self._generation)
        while True:
            try:
                self._queue.put(item, timeout=0.2)
                break
            except queue.Full:
                if self._stopping:
                    return  # never acknowledged: the broker sends it again to the next run
        self.stats.most_in_hand = max(self.stats.most_in_hand, self._queue.qsize() + self._in_batch)

    # the consumer's thread --------------------------------------------------------------------
    def run(
        self, stop: threading.Event, *, until: Callable[[ConsumerStats], bool] | None = None
    ) -> ConsumerStats:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.options.session_expiry
        properties.ReceiveMaximum = self.options.receive_maximum
        self._client.connect_async(
            self.options.host,
            self.options.port,
            keepalive=self.options.keepalive,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()
        last_stats = time.monotonic()
        try:
            while not stop.is_set() and not (until and until(self.stats)):
                batch = self._collect()
                if batch:
                    self._in_batch = len(batch)
                    self._commit_and_ack(batch, stop)
                if self.options.stats_every and time.monotonic() - last_stats >= self.options.stats_every:
                    log.info("ingest: %s", self.stats.line())
                    last_stats = time.monotonic()
            # graceful stop: what is already in hand (one batch at most) is committed and acknowledged
            batch = self._collect(wait=0.0)
            if batch:
                self._in_batch = len(batch)
                self._commit_and_ack(batch, stop)
        finally:
            self._stopping = True
            # PUBACKs are queued for paho's network thread; stopping that thread at once may leave
            # the last ones unsent (the broker would redeliver an acknowledged message). DISCONNECT
            # goes out after them, so once it is written they are on the wire.
            was_connected = self.connected.is_set()
            if was_connected:  # and first let the network thread write what is queued (the PUBACKs)
                drained_by = time.monotonic() + 2.0
                while self._client.want_write() and time.monotonic() < drained_by:
                    time.sleep(0.01)
            self.disconnected.clear()
            self._client.disconnect()
            if was_connected:
                self.disconnected.wait(5.0)
            self._client.loop_stop()
            if not connection.in_atomic_block:  # (a test runs the consumer inside its transaction)
                connection.close()
        return self.stats

    def _collect(self, wait: float = 0.5) -> list[_Item]:
        """Up to batch_size messages, waiting at most batch_ms after the first one."""
        try:
            first = self._queue.get(timeout=wait) if wait else self._queue.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.options.batch_ms / 1000
        while len(batch) < self.options.batch_size:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _commit_and_ack(self, batch: list[_Item], stop: threading.Event) -> None:
        parsed = [parse_message(item.topic, item.payload) for item in batch]
        delay = 0.5
        while True:
            try:
                self._store(parsed)
                break
            except DatabaseError as exc:
                # nothing acknowledged: the broker keeps the messages; try again
                self.stats.db_retries += 1
                log.warning(
                    "database error, batch of %s not committed (retry in %.1f s): %s", len(batch), delay, exc
                )
                if not connection.in_atomic_block:
                    connection.close()
                if stop.wait(delay):
                    return  # asked to stop while the database is away: not acknowledged, sent again later
                delay = min(delay * 2, 30.0)
        self.stats.messages += len(batch)
        self.stats.batches += 1
        generation = self._generation
        self._in_batch = 0  # before the first PUBACK: the broker may answer it with a new message at once
        for item in batch:
            if item.qos > 0 and item.generation == generation:
                if self._client.ack(item.mid, item.qos) == paho.MQTT_ERR_SUCCESS:
                    self.stats.acked += 1
        # a message delivered on an earlier connection is not acknowledged on this one: the broker
        # sends it again (same session), its copy is a duplicate, and that copy is acknowledged

    def _store(self, parsed: list[Parsed]) -> None:
        """One transaction for the batch; readings before a status message are stored before it."""
        counts = ConsumerStats()
        with transaction.atomic():
            readings: list[IncomingReading] = []
            refusals: list[Refusal] = []
            for message in parsed:
                if message.status is not None:
                    self._ingest(readings, refusals, counts)
                    readings, refusals = [], []
                    unit, device, online = message.status
                    reason = self._status_refused(unit, device)
                    if reason is None:
                        device_set_state(device_code=device, online=online, source=SOURCE)
                        counts.statuses += 1
                    else:
                        label = status_topic(unit, device)
                        refusals.append(Refusal(label=label, device=device, metric=STATUS, reason=reason))
                else:
                    readings += message.readings
                    refusals += message.refusals
            self._ingest(readings, refusals, counts)
        for name in ("stored", "duplicates", "refused", "malformed", "statuses"):
            setattr(self.stats, name, getattr(self.stats, name) + getattr(counts, name))

    @staticmethod
    def _status_refused(unit: str, device: str) -> str | None:
        """A status is believed from the device's own topic only (its unit as in the registry)."""
        units = list(Device.objects.filter(code=device_code_of(device)).values_list("unit__code", flat=True))
        if not units:
            return "unknown_device"
        return None if units[0] == unit else "wrong_unit"

    @staticmethod
    def _ingest(readings: list[IncomingReading], refusals: list[Refusal], counts: ConsumerStats) -> None:
        if refusals:
            refusals_record(refusals=refusals, source=SOURCE)
            counts.refused += len(refusals)
            counts.malformed += sum(1 for refusal in refusals if refusal.reason == "malformed")
        if readings:
            result = readings_ingest(readings=readings, source=SOURCE)
            counts.stored += len(result.stored) - result.derived
            counts.duplicates += result.duplicates
            counts.refused += len(result.refused)
