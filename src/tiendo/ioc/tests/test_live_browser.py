"""A real browser on the live page: Chromium (Playwright) against `tiendo serve` (uvicorn, the
stream needs ASGI) on the test database, events published through Redis by this process.

Skips without Chromium or on SQLite on a developer's machine; under CI=true a missing Chromium or
Redis fails (as the other browser tests do)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone

from tiendo.analytics.tests.test_drilldown import GEO
from tiendo.conftest import IN_CI
from tiendo.ioc import live
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.models import Alert, AlertRule, Device, Severity
from tiendo.ioc.tests.test_live_stream import REDIS_TEST_URL, redis_or_fail
from tiendo.ioc.tests.test_live_two_process import free_port, serve, wait_until_serving
from tiendo.web.tests.test_browser import CHROMIUM, LAUNCH_ARGS, CspWatch, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def live_chromium():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM beside Playwright's event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def asgi_site() -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the server process needs the shared test database (PostgreSQL)")
    redis_or_fail()
    port = free_port()
    server = serve(port)
    try:
        wait_until_serving(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def signed_in_page(browser, site: str, client, user):
    """A browser context signed in as `user` (the test client's session), its page, and a watch of
    CSP reports, console errors and page errors."""
    client.force_login(user)
    watch = CspWatch(browser)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies(
        [{"name": name, "value": morsel.value, "url": site} for name, morsel in client.cookies.items()]
    )
    page = context.new_page()
    page.on("console", watch._console)
    page.on("pageerror", lambda error: watch.violations.append(f"page error: {error}"))
    return context, page, watch


def test_an_operator_sees_a_reading_and_an_alert_arrive_then_acknowledges_and_clears_it(
    live_chromium, asgi_site, settings, client, camthanh_operator
):
    settings.TIENDO_REDIS_URL = REDIS_TEST_URL
    if GEO.exists():  # the communes drawn under the markers, when the boundary file is beside the checkout
        from tiendo.orgunits.boundaries import boundaries_load

        boundaries_load(path=GEO)
    context, page, watch = signed_in_page(live_chromium, asgi_site, client, camthanh_operator)
    page.goto(asgi_site + "/ioc/")
    page.wait_for_selector("#ioc-map[data-ready='true'][data-stream='open']", timeout=20_000)
    tile = page.locator("[data-series='wl-trakhuc-01/water_level'] .value")
    assert tile.inner_text() == "—"

    readings_ingest(
        readings=[
            IncomingReading(device="wl-trakhuc-01", metric="water_level", ts=timezone.now(), value=4.25)
        ],
        source="test",
    )
    page.wait_for_function(
        "() => document.querySelector(\"[data-series='wl-trakhuc-01/water_level'] .value\").innerText === '4,25'"
    )

    device = Device.objects.select_related("unit").get(code="wl-trakhuc-01")
    rule = AlertRule.objects.create(code="wl-alarm-1", name="Báo động I", severity=Severity.CRITICAL)
    now = timezone.now()
    alert = Alert.objects.create(
        rule=rule,
        device=device,
        unit=device.unit,
        severity=Severity.CRITICAL,
        message="Trà Khúc vượt báo động I",
        value=4.25,
        started_at=now,
        last_at=now,
    )
    live.publish(live.alert_event(alert))
    item = page.locator(f"#ioc-alerts li[data-alert='{alert.pk}']")
    item.wait_for(timeout=10_000)
    assert "Trà Khúc vượt báo động I" in item.inner_text()
    assert "mô phỏng" in item.inner_text()  # the station is simulated
    assert page.locator("#alert-count").inner_text() == "1"
    shot(page, "ioc-live")

    item.get_by_role("button", name="Xác nhận").click()
    page.locator(f"#ioc-alerts li[data-alert='{alert.pk}'][data-status='acknowledged']").wait_for(
        timeout=10_000
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.acknowledged_by == camthanh_operator
    page.locator(f"#ioc-alerts li[data-alert='{alert.pk}']").get_by_role("button", name="Kết thúc").click()
    page.wait_for_function("() => document.getElementById('alert-count').innerText === '0'")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLEARED

    page.goto(asgi_site + "/ioc/devices/wl-trakhuc-01/")  # its page charts the last day
    page.wait_for_selector("#device-chart[data-ready='true'] svg")
    assert "4,25" in page.locator("#device-metrics").inner_text()
    shot(page, "ioc-device")
    context.close()
    assert not watch.violations, "\n".join(watch.violations)
