import pytest
from django.core.cache import cache

from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.tests.test_dossiers_import import HEADER, row
from tiendo.plans.models import Indicator

pytestmark = pytest.mark.django_db


def full_online() -> Indicator:
    return Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")


def by_unit(client, indicator, **params):
    response = client.get(f"/api/v1/indicators/{indicator.pk}/units", params)
    assert response.status_code == 200, response.content
    body = response.json()
    return body, {u["unit"]: u for u in body["units"]}


def test_dossiers_feed_the_drill_down_unit_by_unit_and_month_by_month(client, shipped_data):
    dossiers_import(
        text=HEADER
        + row("D1")
        + row("D2", channel="truc_tiep")
        + row("D3", unit="21172")
        + row(
            "D4",
            unit="21172",
            channel="mot_phan",
            received="2026-04-02T09:00:00+07:00",
            resolved="2026-04-03T09:00:00+07:00",
            due="2026-04-09T09:00:00+07:00",
        )
    )
    body, units = by_unit(client, full_online())
    assert body["period"] == "2026"  # the longest period ending last: the year so far
    assert {"202603", "202604", "2026Q1", "2026Q2", "2026S1", "2026"} <= set(body["periods"])
    assert units["21211"]["value"] == 50.0 and units["21211"]["denominator"] == 2
    assert units["21172"]["value"] == 50.0
    _, march = by_unit(client, full_online(), period="202603")
    assert march["21172"]["value"] == 100.0 and march["21172"]["denominator"] == 1


def test_a_bad_period_is_refused_with_its_field(client, shipped_data):
    response = client.get(f"/api/v1/indicators/{full_online().pk}/units", {"period": "2026-03'"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "period"


def test_the_answer_is_kept_for_the_configured_seconds_and_no_longer(
    client, shipped_data, settings, monkeypatch
):
    settings.TIENDO_ANALYTICS_CACHE_SECONDS = 1
    cache.clear()
    clock = [1000.0]
    monkeypatch.setattr("tiendo.core.cache.time.monotonic", lambda: clock[0])
    dossiers_import(text=HEADER + row("D1") + row("D2", channel="truc_tiep"))
    _, before = by_unit(client, full_online())
    dossiers_import(text=HEADER + row("D3"))
    clock[0] += 0.9
    _, kept = by_unit(client, full_online())
    assert kept["21211"]["value"] == before["21211"]["value"] == 50.0
    clock[0] += 0.2  # older than a second: the next request computes it again
    _, fresh = by_unit(client, full_online())
    assert round(fresh["21211"]["value"], 2) == 66.67


def test_an_empty_period_means_the_latest(client, shipped_data):
    dossiers_import(text=HEADER + row("D1"))
    body, _ = by_unit(client, full_online(), period="")
    assert body["period"] == "2026"
