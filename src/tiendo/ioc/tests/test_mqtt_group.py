"""Two `tiendo ingest` processes sharing one subscription (`--group`, `$share/…`) write the same
series at once: each reading is stored once, the rollups add up to the readings, a series' last value
is its newest, and neither transaction deadlocks the other (both lock rows in one order). PostgreSQL
only: the consumers are other processes (see test_mqtt_crash.py)."""

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db.models import Count, Max, Sum

from tiendo.ioc.models import DeviceMetric, Reading, Rollup
from tiendo.ioc.tests.mqtt_support import BASE, Publisher, broker, prime
from tiendo.ioc.tests.test_mqtt_crash import consumer_environment, wait_for

__all__ = ["broker"]

pytestmark = pytest.mark.django_db(transaction=True)

GROUP = "pair"
SERIES = [("21061", "aq-dungquat-01", m) for m in ("pm25", "pm10", "co")] + [
    ("21220", "aq-vsip-01", m) for m in ("pm25", "pm10", "co")
]


def start_member(port: int, client_id: str, environment: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from tiendo.cli import main; main()", "ingest", "--port", str(port)]
    command += ["--client-id", client_id, "--group", GROUP, "--batch-size", "100", "--batch-ms", "100"]
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_consumers_sharing_a_subscription_store_each_reading_once_and_roll_up_every_one(
    ioc_registry, broker
):
    environment = consumer_environment()
    total = 3000  # 500 a series, one a second
    for member in ("pair-1", "pair-2"):
        prime(broker.port, member, group=GROUP)
    members = [start_member(broker.port, member, environment) for member in ("pair-1", "pair-2")]
    publisher = Publisher(broker.port, client_id="pair-publisher")
    raw = DeviceMetric.objects.filter(
        device__code__in={device for _u, device, _m in SERIES}, code__in={m for _u, _d, m in SERIES}
    )
    stored = Reading.objects.filter(series__in=raw)

    def publish_all() -> None:
        for i in range(total):
            unit, device, metric = SERIES[i % len(SERIES)]
            ts = (BASE + timedelta(seconds=i // len(SERIES))).isoformat()
            info = publisher.client.publish(
                f"tiendo/{unit}/{device}/{metric}", f'{{"ts": "{ts}", "value": {5 + i % 40}}}', qos=1
            )
            if i % 100 == 99:
                info.wait_for_publish(10)

    sender = threading.Thread(target=publish_all)
    sender.start()
    outputs = []
    try:
        sender.join(timeout=60)
        wait_for(lambda: stored.count() >= total, 90, f"{total} readings (have {stored.count()})")
    finally:
        publisher.close()
        for member in members:
            member.terminate()
            outputs.append(member.communicate(timeout=30))

    assert stored.count() == total
    assert stored.values("series", "ts").distinct().count() == total  # each once
    for output, errors in outputs:
        assert "database error" not in errors, errors  # a deadlock is retried, and logged
        assert "stored=0," not in output  # both took a share
    for series in raw:
        readings = Reading.objects.filter(series=series).aggregate(
            n=Count("ts"), total=Sum("value"), last=Max("ts")
        )
        for grain in Rollup.Grain.values:
            rolled = Rollup.objects.filter(series=series, grain=grain).aggregate(
                n=Sum("count"), total=Sum("total")
            )
            assert (rolled["n"], rolled["total"]) == (readings["n"], readings["total"]), (series.code, grain)
        series.refresh_from_db()
        assert series.last_ts == readings["last"]
