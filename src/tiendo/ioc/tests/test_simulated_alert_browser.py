"""The whole path an operator relies on, with nothing faked in between: the simulator publishes a
river level above alarm level III to a real Mosquitto, the MQTT consumer commits it, the shipped
rules raise their alerts, the live page in Chromium shows them, the operator acknowledges one, and a
normal level published next clears them all by itself.

Skips like the other live browser test (needs PostgreSQL for the server process, Chromium, Redis)."""

from __future__ import annotations

import threading

import pytest

from tiendo.ioc.models import Alert
from tiendo.ioc.registry import SHIPPED_RULES, registry_load
from tiendo.ioc.simulate import Simulator, parse_spike, simulated_devices
from tiendo.ioc.tests.mqtt_support import broker, consume, prime
from tiendo.ioc.tests.test_live_browser import asgi_site, live_chromium, signed_in_page
from tiendo.ioc.tests.test_live_stream import REDIS_TEST_URL
from tiendo.web.tests.test_browser import shot

__all__ = ["asgi_site", "broker", "live_chromium"]  # fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATION = "wl-trakhuc-01"
LEVEL_RULES = {"muc-nuoc-bao-dong-1", "muc-nuoc-bao-dong-2", "muc-nuoc-bao-dong-3"}


def simulate_level(port: int, level: float) -> None:
    """One round of the simulator for the station alone, its level forced to `level` metres."""
    simulator = Simulator(
        simulated_devices([STATION]),
        host="127.0.0.1",
        port=port,
        seed=11,
        spikes=[parse_spike(f"{STATION}:water_level={level}")],
        client_prefix="test-sim",
    )
    run = simulator.run(threading.Event(), once=True)
    assert run.acknowledged == run.published == 2  # the level and the station's "online"
    consume(port, messages=run.published)


def test_a_simulated_flood_raises_alerts_live_the_operator_acknowledges_and_normal_water_clears_them(
    live_chromium, asgi_site, broker, settings, client, camthanh_operator
):
    settings.TIENDO_REDIS_URL = REDIS_TEST_URL  # the consumer (this process) → the server's stream
    registry_load(path=SHIPPED_RULES)
    prime(broker.port)
    context, page, watch = signed_in_page(live_chromium, asgi_site, client, camthanh_operator)
    page.goto(asgi_site + "/ioc/")
    page.wait_for_selector("#ioc-map[data-ready='true'][data-stream='open']", timeout=20_000)
    assert page.locator("#alert-count").inner_text() == "0"

    simulate_level(broker.port, 7.0)  # above III (6,5 m): alarms I, II and III

    page.wait_for_function("() => document.getElementById('alert-count').innerText === '3'", timeout=15_000)
    alerts = {alert.rule.code: alert for alert in Alert.objects.select_related("rule")}
    assert set(alerts) == LEVEL_RULES
    assert all(alert.status == Alert.Status.ACTIVE and alert.value == 3 for alert in alerts.values())
    tile = page.locator(f"[data-series='{STATION}/water_level'] .value")
    assert tile.inner_text() == "7"
    critical = alerts["muc-nuoc-bao-dong-3"]
    item = page.locator(f"#ioc-alerts li[data-alert='{critical.pk}']")
    assert "Mực nước vượt báo động III" in item.inner_text() and "mô phỏng" in item.inner_text()
    shot(page, "ioc-live-flood")

    item.get_by_role("button", name="Xác nhận").click()
    page.locator(f"#ioc-alerts li[data-alert='{critical.pk}'][data-status='acknowledged']").wait_for(
        timeout=10_000
    )
    critical.refresh_from_db()
    assert critical.status == Alert.Status.ACKNOWLEDGED and critical.acknowledged_by == camthanh_operator

    simulate_level(broker.port, 2.0)  # back below alarm level I

    page.wait_for_function("() => document.getElementById('alert-count').innerText === '0'", timeout=15_000)
    assert tile.inner_text() == "2"
    cleared = Alert.objects.filter(status=Alert.Status.CLEARED)
    assert cleared.count() == 3 and not cleared.filter(cleared_by__isnull=False).exists()  # by itself
    context.close()
    assert not watch.violations, "\n".join(watch.violations)
