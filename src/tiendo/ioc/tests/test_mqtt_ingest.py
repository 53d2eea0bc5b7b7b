"""`tiendo ingest` on a real Mosquitto (our own instance): stored once, acknowledged only after the
commit, duplicates dropped, malformed payloads counted, last wills mark devices offline."""

import json
import signal
import subprocess
import sys
import time

import pytest

from tiendo.ioc.models import Device, IngestRefusal, Reading
from tiendo.ioc.mqtt import parse_message
from tiendo.ioc.tests.mqtt_support import BASE, Publisher, broker, consume, payload, prime

__all__ = ["broker"]  # the fixture

pytestmark = pytest.mark.django_db

PM25 = "tiendo/21061/aq-dungquat-01/pm25"


def refused(reason: str) -> int:
    return sum(IngestRefusal.objects.filter(reason=reason).values_list("count", flat=True))


def test_a_reading_is_stored_once_and_acknowledged_so_the_next_run_gets_nothing_again(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    publisher.send(PM25, payload(12.5))
    publisher.close()

    first = consume(broker.port, messages=1)
    again = consume(broker.port, seconds=1.5)  # same client id, same session: nothing is redelivered

    assert (first.messages, first.stored, first.acked) == (1, 1, 1)
    assert again.messages == 0
    assert list(Reading.objects.values_list("value", flat=True)) == [12.5]


def test_messages_published_while_the_consumer_is_away_wait_for_it_in_its_session(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    for second in range(50):
        publisher.send(PM25, payload(float(second), second=second))
    publisher.close()

    stats = consume(broker.port, messages=50)

    assert stats.stored == 50
    assert Reading.objects.count() == 50


def test_a_reading_sent_twice_is_stored_once_and_counted_as_a_duplicate(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    publisher.send(PM25, payload(10.0))
    publisher.send(PM25, payload(10.0))  # a QoS 1 redelivery looks like this
    publisher.send(PM25, json.dumps([json.loads(payload(10.0)), json.loads(payload(11.0, second=1))]))
    publisher.close()

    stats = consume(broker.port, messages=3)

    assert (stats.stored, stats.duplicates) == (2, 2)
    assert sorted(Reading.objects.values_list("value", flat=True)) == [10.0, 11.0]


def test_the_batch_forms_of_the_payload_are_read(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    publisher.send(PM25, json.dumps([json.loads(payload(float(i), second=i)) for i in range(3)]))
    publisher.send(
        PM25, json.dumps({"readings": [json.loads(payload(9.0, second=10 + i)) for i in range(4)]})
    )
    publisher.close()

    stats = consume(broker.port, messages=2)

    assert stats.stored == 7
    assert Reading.objects.count() == 7


def test_malformed_payloads_are_refused_counted_and_acknowledged(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    publisher.send(PM25, b"not json at all")
    publisher.send(PM25, b"[1, 2]")  # two elements that are not readings
    publisher.send(PM25, b'{"value": 3.0}')  # no time: refused, never stamped "now"
    publisher.send(PM25, payload(float("nan")).replace(b"NaN", b'"x"'))
    publisher.close()

    stats = consume(broker.port, messages=4)
    again = consume(broker.port, seconds=1.5)

    assert (refused("malformed"), refused("bad_time"), refused("bad_value")) == (3, 1, 1)
    assert stats.malformed == 3 and stats.refused == 5 and stats.acked == 4
    assert again.messages == 0  # acknowledged: not redelivered for ever
    assert Reading.objects.count() == 0


def test_a_reading_or_status_under_another_units_topic_is_refused(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    publisher.send("tiendo/21025/aq-dungquat-01/pm25", payload(1.0))
    publisher.send("tiendo/21061/no-such-device/pm25", payload(1.0))
    publisher.send("tiendo/21025/aq-dungquat-01/$status", "offline")  # Cẩm Thành speaking for Dung Quất
    publisher.send("tiendo/21061/no-such-device/$status", "offline")
    publisher.close()

    consume(broker.port, messages=4)

    assert (refused("wrong_unit"), refused("unknown_device")) == (2, 2)
    assert Reading.objects.count() == 0
    assert Device.objects.get(code="aq-dungquat-01").state == Device.State.NEVER


DEVICE_SCRIPT = """
import sys, time
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
topic = "tiendo/21025/wl-trakhuc-01/$status"
client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="dying-device",
                     protocol=paho.MQTTv5)
client.will_set(topic, "offline", qos=1, retain=True)
client.connect("127.0.0.1", int(sys.argv[1]))
client.loop_start()
client.publish(topic, "online", qos=1, retain=True).wait_for_publish(10)
print("online", flush=True)
time.sleep(60)
"""


def test_a_device_that_dies_is_marked_offline_by_its_last_will(ioc_registry, broker):
    prime(broker.port)
    device = subprocess.Popen(
        [sys.executable, "-c", DEVICE_SCRIPT, str(broker.port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert device.stdout is not None and device.stdout.readline().strip() == "online"
        online = consume(broker.port, messages=1)
        assert Device.objects.get(code="wl-trakhuc-01").state == Device.State.ONLINE
        device.send_signal(signal.SIGKILL)  # no DISCONNECT: the broker sends the will
        device.wait()
        time.sleep(0.2)
        offline = consume(broker.port, messages=1)
    finally:
        if device.poll() is None:
            device.kill()

    assert (online.statuses, offline.statuses) == (1, 1)
    station = Device.objects.get(code="wl-trakhuc-01")
    assert station.state == Device.State.OFFLINE
    assert station.state_changed_at is not None


@pytest.mark.parametrize(
    ("topic", "body", "expected"),
    [
        ("tiendo/u/d/$status", b"offline", ("status", ("u", "d", False))),
        ("tiendo/u/d/$status", b'"online"', ("status", ("u", "d", True))),
        ("tiendo/u/d/$status", b"sleeping", ("refused", "malformed")),
        ("tiendo/u/d/m", b'{"ts": "2026-01-01T00:00:00+07:00", "value": 1}', ("readings", 1)),
        ("tiendo/u/d/m", b"[]", ("refused", "malformed")),
        ("tiendo/u/d/m", b"7", ("refused", "malformed")),
        ("tiendo/u/d/m", b"\xff\xfe", ("refused", "malformed")),
    ],
)
def test_a_payload_is_read_as_readings_a_status_or_a_malformed_refusal(topic, body, expected):
    parsed = parse_message(topic, body)

    kind, detail = expected
    if kind == "status":
        assert parsed.status == detail
    elif kind == "readings":
        assert len(parsed.readings) == detail and parsed.readings[0].unit == "u"
    else:
        assert [r.reason for r in parsed.refusals] == [detail] and not parsed.readings


def test_the_simulator_publishes_every_simulated_device_and_the_spike_asked_for(ioc_registry, broker):
    import threading

    from tiendo.ioc.simulate import Simulator, parse_spike, simulated_devices

    prime(broker.port)
    devices = simulated_devices()
    simulator = Simulator(
        devices,
        host="127.0.0.1",
        port=broker.port,
        seed=7,
        spikes=[parse_spike("wl-trakhuc-01:water_level=7.0")],
    )
    report = simulator.run(threading.Event(), once=True)
    metrics = sum(len(d.metrics) for d in devices)

    stats = consume(broker.port, messages=report.published)

    assert report.acknowledged == report.published == metrics + len(devices)  # readings + "online"
    assert stats.stored == metrics and stats.statuses == len(devices)
    level = Reading.objects.get(series__device__code="wl-trakhuc-01", series__code="water_level")
    assert level.value == 7.0
    assert set(Device.objects.filter(simulated=True).values_list("state", flat=True)) == {"online"}
    assert BASE < level.ts


def test_the_session_and_its_subscription_survive_a_broker_restart(ioc_registry, broker):
    prime(broker.port)
    broker.restart()  # a clean stop: the broker saves sessions and subscriptions
    publisher = Publisher(broker.port)
    publisher.send(PM25, payload(4.0))  # published while the consumer is away, after the restart
    publisher.close()

    stats = consume(broker.port, messages=1)

    assert stats.stored == 1
    assert list(Reading.objects.values_list("value", flat=True)) == [4.0]


def test_a_consumer_in_a_group_gets_what_was_published_while_it_was_away(ioc_registry, broker):
    prime(broker.port, "ops-1", group="ops")
    publisher = Publisher(broker.port)
    publisher.send(PM25, payload(8.0))
    publisher.close()

    stats = consume(broker.port, client_id="ops-1", group="ops", messages=1)

    assert stats.stored == 1
    assert Reading.objects.get().value == 8.0


def test_a_database_error_is_retried_and_nothing_is_acknowledged_before_the_commit(
    ioc_registry, broker, monkeypatch
):
    from django.db import OperationalError

    from tiendo.ioc import mqtt

    calls = []
    real = mqtt.readings_ingest

    def failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(mqtt, "readings_ingest", failing_once)
    prime(broker.port)
    publisher = Publisher(broker.port)
    publisher.send(PM25, payload(6.0))
    publisher.close()

    stats = consume(broker.port, messages=1)

    assert (stats.db_retries, stats.stored, stats.acked) == (1, 1, 1)
    assert len(calls) == 2
    assert Reading.objects.get().value == 6.0


def test_the_simulate_command_names_what_is_wrong_with_its_options(ioc_registry):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--devices: .*no-such"):
        call_command("simulate", "--once", "--devices", "no-such")
    with pytest.raises(CommandError, match="--spike: .*THIẾT_BỊ:CHỈ_SỐ=GIÁ_TRỊ"):
        call_command("simulate", "--once", "--spike", "wl-trakhuc-01=7")
    with pytest.raises(CommandError, match="--spike: .*pm25"):
        call_command("simulate", "--once", "--spike", "wl-trakhuc-01:pm25=7")


def test_memory_is_bounded_by_the_receive_maximum_while_a_backlog_waits_in_the_broker(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    for second in range(300):
        publisher.client.publish(PM25, payload(1.0, second=second), qos=1)
    publisher.send(PM25, payload(1.0, second=300))
    publisher.close()

    stats = consume(broker.port, messages=301, batch_size=10, receive_maximum=20, seconds=30)

    assert stats.stored == 301
    # the queue (20) and the batch being committed (10): the broker held the rest until we acknowledged
    assert stats.most_in_hand <= 20 + 10


def test_a_stop_with_a_full_queue_is_prompt_and_what_was_not_committed_comes_back(ioc_registry, broker):
    prime(broker.port)
    publisher = Publisher(broker.port)
    for second in range(200):
        publisher.client.publish(PM25, payload(2.0, second=second), qos=1)
    publisher.send(PM25, payload(2.0, second=200))
    publisher.close()

    started = time.monotonic()
    first = consume(broker.port, messages=10, batch_size=10, receive_maximum=20)
    stopped_in = time.monotonic() - started
    rest = consume(broker.port, messages=201 - first.messages, seconds=20)

    assert stopped_in < 5
    assert first.messages + rest.messages >= 201
    assert Reading.objects.count() == 201  # each once: what the first run had not committed came again


def test_the_simulate_command_publishes_one_round_of_simulated_readings(ioc_registry, broker):
    from io import StringIO

    from django.core.management import call_command

    prime(broker.port)
    out = StringIO()
    call_command(
        "simulate",
        "--once",
        "--port",
        str(broker.port),
        "--seed",
        "3",
        "--devices",
        "wl-anchi-01,aq-vsip-01",
        stdout=out,
    )

    stats = consume(broker.port, messages=9)  # 1 + 6 readings, 2 "online"

    assert "MÔ PHỎNG: 2 thiết bị, 1 lượt, 9 tin gửi, 9 tin được xác nhận" in out.getvalue()
    assert stats.stored == 7 and stats.statuses == 2
    assert set(Reading.objects.values_list("series__device__code", flat=True)) == {
        "wl-anchi-01",
        "aq-vsip-01",
    }
