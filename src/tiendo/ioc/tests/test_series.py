from collections import defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiendo.core.exceptions import NotFoundError
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.models import Reading, Rollup
from tiendo.ioc.partitions import month_create, partitions_existing, raw_retention_apply
from tiendo.ioc.rollups import bucket_of
from tiendo.ioc.selectors import series_rollups

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SERIES = [("aq-dungquat-01", "pm25"), ("aq-dungquat-01", "pm10"), ("wl-trakhuc-01", "water_level")]


def recomputed_from_raw() -> dict[tuple[int, str, datetime], tuple[int, float, float, float]]:
    groups: dict[tuple[int, str, datetime], list[float]] = defaultdict(list)
    for reading in Reading.objects.all():
        for grain in Rollup.Grain.values:
            groups[(reading.series_id, grain, bucket_of(reading.ts, grain))].append(reading.value)
    return {key: (len(v), sum(v), min(v), max(v)) for key, v in groups.items()}


def kept_rollups() -> dict[tuple[int, str, datetime], tuple[int, float, float, float]]:
    return {
        (r.series_id, r.grain, r.bucket): (r.count, r.total, r.minimum, r.maximum)
        for r in Rollup.objects.all()
    }


readings_strategy = st.lists(
    st.tuples(
        st.sampled_from(SERIES),
        st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes before NOW: three days, crossing midnights
        st.integers(min_value=-500, max_value=500),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(readings_strategy, min_size=1, max_size=4))
def test_rollups_equal_a_recomputation_from_the_raw_readings_whatever_the_batches(ioc_registry, batches):
    """Batches overlap and repeat readings (as QoS 1 redelivery does); rollups must count each once."""
    Reading.objects.all().delete()
    Rollup.objects.all().delete()
    for batch in batches:
        readings_ingest(
            readings=[
                IncomingReading(device=d, metric=m, ts=NOW - timedelta(minutes=ago), value=value / 10)
                for (d, m), ago, value in batch
            ],
            source="test",
            now=NOW,
        )
        readings_ingest(  # the same batch again: nothing may change
            readings=[
                IncomingReading(device=d, metric=m, ts=NOW - timedelta(minutes=ago), value=value / 10)
                for (d, m), ago, value in batch[: len(batch) // 2]
            ],
            source="test",
            now=NOW,
        )

    expected, kept = recomputed_from_raw(), kept_rollups()
    assert kept.keys() == expected.keys()
    for key, (count, total, minimum, maximum) in expected.items():
        assert kept[key][0] == count
        assert kept[key][1] == pytest.approx(total)
        assert kept[key][2:] == (minimum, maximum)


def test_a_day_is_the_provinces_calendar_day_not_a_utc_day():
    half_past_midnight_in_vietnam = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)

    assert bucket_of(half_past_midnight_in_vietnam, "1d") == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert bucket_of(half_past_midnight_in_vietnam, "1h") == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert bucket_of(datetime(2026, 11, 20, 17, 34, 59, tzinfo=UTC), "5m") == datetime(
        2026, 11, 20, 17, 30, tzinfo=UTC
    )


def test_the_rollups_of_a_series_are_read_in_time_order_within_the_window(ioc_registry, vantuong_operator):
    readings_ingest(
        readings=[
            IncomingReading(device=device, metric="pm25", ts=NOW - timedelta(hours=h), value=float(h))
            for h in range(1, 6)
            for device in ("aq-dungquat-01", "aq-vsip-01")
        ],
        source="test",
        now=NOW,
    )
    hourly = series_rollups(
        user=vantuong_operator,
        device_code="aq-dungquat-01",
        metric="pm25",
        grain="1h",
        since=NOW - timedelta(hours=4),
    )
    assert [r.bucket for r in hourly] == [NOW - timedelta(hours=h) for h in (4, 3, 2, 1)]
    assert [r.maximum for r in hourly] == [4.0, 3.0, 2.0, 1.0]

    with pytest.raises(NotFoundError):  # VSIP (ward 21220) is not Vạn Tường's
        series_rollups(user=vantuong_operator, device_code="aq-vsip-01", metric="pm25", grain="1h")


def test_raw_readings_older_than_the_retention_go_and_their_rollups_stay(ioc_registry):
    old = NOW - timedelta(days=120)
    readings_ingest(
        readings=[
            IncomingReading(device="aq-dungquat-01", metric="pm25", ts=old, value=40.0),
            IncomingReading(device="aq-dungquat-01", metric="pm25", ts=NOW - timedelta(days=1), value=20.0),
        ],
        source="test",
        now=NOW,
    )
    rollups_before = Rollup.objects.count()

    report = raw_retention_apply(days=90, now=NOW)

    assert list(Reading.objects.values_list("value", flat=True)) == [20.0]
    assert Rollup.objects.count() == rollups_before == 6
    assert report.cut == NOW - timedelta(days=90)


def test_the_retention_command_refuses_a_retention_under_one_day():
    with pytest.raises(SystemExit):
        call_command("ioc_retention", "--days", "0", stderr=StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")
def test_readings_go_to_their_months_partition_and_an_old_month_is_dropped_whole(ioc_registry):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'ioc_reading'")
        assert cursor.fetchone() == ("p",)  # a partitioned table
    long_ago = datetime(2025, 3, 10, tzinfo=UTC)
    readings_ingest(
        readings=[IncomingReading(device="aq-dungquat-01", metric="pm25", ts=long_ago, value=1.0)],
        source="test",
        now=NOW,
    )
    with connection.cursor() as cursor:  # no partition for March 2025: the default one holds it
        cursor.execute("SELECT count(*) FROM ioc_reading_default")
        assert cursor.fetchone() == (1,)

    moved = month_create(datetime(2025, 3, 1, tzinfo=UTC))

    assert moved == 1
    assert "ioc_reading_p202503" in partitions_existing()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ioc_reading_p202503")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT count(*) FROM ioc_reading_default")
        assert cursor.fetchone() == (0,)

    report = raw_retention_apply(days=90, now=NOW)

    assert "ioc_reading_p202503" in report.partitions_dropped
    assert "ioc_reading_p202503" not in partitions_existing()
    assert Reading.objects.count() == 0
    assert Rollup.objects.filter(grain="1d", series__code="pm25").count() == 1
