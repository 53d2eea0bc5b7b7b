from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from tiendo.ioc.feeds import sensor_feeds_apply
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.reporting.models import DataValue

pytestmark = pytest.mark.django_db


def test_hours_above_alarm_one_become_a_data_value_with_its_provenance_and_a_rerun_changes_nothing(
    ioc_registry,
):
    start = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
    levels = [3.0, 3.6, 4.2, 5.1, 3.2]  # alarm I of the Trà Khúc gauge is 3.5 m: three hours at or above
    readings_ingest(
        readings=[
            IncomingReading(
                device="wl-trakhuc-01", metric="water_level", ts=start + timedelta(hours=h), value=v
            )
            for h, v in enumerate(levels)
        ],
        source="test",
        now=datetime(2026, 11, 30, tzinfo=UTC),
    )

    report = sensor_feeds_apply(year=2026, month=11)
    again = sensor_feeds_apply(year=2026, month=11)

    value = DataValue.objects.get(
        data_element__code="IOC_WL_HOURS_ABOVE_I", unit__code="21025", period="202611"
    )
    assert value.value == 3
    assert value.source == DataValue.Source.FEED
    assert value.is_simulated is True
    assert "từ 5 số đo của thiết bị wl-trakhuc-01" in value.source_detail
    assert (report.changed, again.changed) == (1, 0)


def test_a_value_a_unit_reported_is_never_overwritten_by_the_feed(ioc_registry):
    from tiendo.orgunits.models import OrgUnit
    from tiendo.reporting.models import DataElement

    DataValue.objects.create(
        data_element=DataElement.objects.get(code="IOC_WL_HOURS_ABOVE_I"),
        unit=OrgUnit.objects.get(code="21025"),
        period="202611",
        value=12,
        source=DataValue.Source.MANUAL,
    )
    readings_ingest(
        readings=[
            IncomingReading(
                device="wl-trakhuc-01", metric="water_level", ts=datetime(2026, 11, 10, tzinfo=UTC), value=6.0
            )
        ],
        source="test",
        now=datetime(2026, 11, 30, tzinfo=UTC),
    )

    sensor_feeds_apply(year=2026, month=11)

    assert DataValue.objects.get(data_element__code="IOC_WL_HOURS_ABOVE_I", unit__code="21025").value == 12


def test_the_feed_command_refuses_a_month_it_cannot_read():
    with pytest.raises(SystemExit):
        call_command("ioc_feed", "--month", "11/2026", stderr=StringIO())
