"""Target II.7 computed from the catalogue: published datasets per publisher, those open, counted
into this quarter's DV_BDL_DC_TOTAL and DV_BDL_MO and evaluated like any other indicator."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from tiendo.analytics.selectors import indicator_row
from tiendo.opendata.feeds import catalogue_feed_apply
from tiendo.opendata.services import dataset_withdraw
from tiendo.opendata.tests.conftest import published_health_dataset
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement, DataValue

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def ii7():
    return Indicator.objects.get(plan__code="quang-ngai-2026", group__code="II", number="7")


def figures(unit: str, period: str = "2026Q4") -> tuple[Decimal | None, Decimal | None]:
    values = {
        v.data_element.code: v.value
        for v in DataValue.objects.filter(unit__code=unit, period=period).select_related("data_element")
    }
    return values.get("DV_BDL_MO"), values.get("DV_BDL_DC_TOTAL")


def test_each_publisher_counts_its_published_datasets_and_those_open(syt_admin, office_admin):
    published_health_dataset(syt_admin)
    published_health_dataset(syt_admin, title="Cơ sở khám chữa bệnh", name="co-so-kcb", access="shared")
    published_health_dataset(syt_admin, title="Giấy phép hành nghề", name="giay-phep", licence="other-closed")

    report = catalogue_feed_apply(on=DAY)

    assert (report.period, report.publishers, report.datasets, report.open) == ("2026Q4", 1, 3, 1)
    assert figures("SYT") == (Decimal(1), Decimal(3))
    stored = DataValue.objects.get(unit__code="SYT", period="2026Q4", data_element__code="DV_BDL_MO")
    assert stored.source == DataValue.Source.FEED
    assert "3 bộ dữ liệu đã công bố, 1 công khai" in stored.source_detail
    assert "co-so-kcb" in stored.source_detail


def test_ii7_is_evaluated_from_the_catalogue_like_any_other_indicator(syt_admin, office_admin):
    published_health_dataset(syt_admin)
    published_health_dataset(syt_admin, title="Cơ sở khám chữa bệnh", name="co-so-kcb", access="shared")
    catalogue_feed_apply(on=DAY)

    row = indicator_row(user=office_admin, indicator=ii7(), as_of=DAY)

    assert row.evaluation.value == Decimal(50)
    assert row.evaluation.period == "2026Q4"


def test_a_withdrawn_dataset_lowers_the_figure_in_the_open_quarter(syt_admin):
    dataset = published_health_dataset(syt_admin)
    catalogue_feed_apply(on=DAY)

    dataset_withdraw(actor=syt_admin, dataset=dataset, reason="Rà soát lại")
    second = catalogue_feed_apply(on=DAY)

    assert figures("SYT") == (Decimal(0), Decimal(0))
    assert second.changed == 2


def test_a_figure_the_unit_reported_itself_is_not_overwritten(syt_admin):
    published_health_dataset(syt_admin)
    reported = DataValue.objects.create(
        data_element=DataElement.objects.get(code="DV_BDL_MO"),
        unit=syt_admin.memberships.get().unit,
        period="2026Q4",
        value=Decimal(7),
        source=DataValue.Source.IMPORT,
    )

    catalogue_feed_apply(on=DAY)

    reported.refresh_from_db()
    assert reported.value == Decimal(7)
    assert figures("SYT") == (Decimal(7), Decimal(1))


def test_the_command_reports_the_quarter_and_refuses_a_bad_date(syt_admin, capsys):
    published_health_dataset(syt_admin)

    call_command("opendata_feed", on="2026-11-20")
    with pytest.raises(SystemExit):
        call_command("opendata_feed", on="20/11/2026")

    captured = capsys.readouterr()
    assert "2026Q4: 1 đơn vị, 1 bộ dữ liệu, 1 công khai" in captured.out
    assert "YYYY-MM-DD" in captured.err
