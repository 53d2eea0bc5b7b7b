import pytest
from django.contrib.auth.models import AnonymousUser

from tiendo.analytics.selectors import indicator_row
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement, DataValue

pytestmark = pytest.mark.django_db


def test_the_digital_economy_share_shows_its_progress_from_the_2025_figure(client, shipped_data):
    # 2025: "Ước 10%"; 2026 target 12%; the office enters 11,5 % for the first half (value added 11,5 of GRDP 100)
    province = OrgUnit.objects.get(code="51")
    for code, value in (("KT_GRDP_KTS", 11.5), ("KT_GRDP", 100)):
        DataValue.objects.create(
            data_element=DataElement.objects.get(code=code),
            unit=province,
            period="2026S1",
            value=value,
            source=DataValue.Source.MANUAL,
            source_detail="Thống kê Quảng Ngãi (ước)",
        )
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="III", number="9")
    row = indicator_row(user=AnonymousUser(), indicator=indicator)
    assert float(row.evaluation.value) == pytest.approx(11.5)
    assert row.baseline is not None and float(row.baseline.value) == 10
    # t0 = 31/12/2025 → 2026,0; t = 30/06/2026 → 2026 + 181/365; T = 2027,0
    # required (12/10)^(1/1) − 1 = +20 %/year; observed (11,5/10)^(365/181) − 1 = +32,56 %/year → R = 1,628: on track
    assert row.progress.status == "substantial_progress"
    assert row.progress.ratio == pytest.approx(1.628, abs=0.001)
    body = client.get(f"/api/v1/indicators/{indicator.pk}").json()
    assert body["progress"]["status"] == "substantial_progress"
    assert body["progress"]["projection"] == pytest.approx(11.5 * 1.3256 ** (184 / 365), abs=0.01)
    html = client.get(f"/indicators/{indicator.pk}/").content.decode()
    assert "Đúng tiến độ" in html and "31/12/2026" in html


def test_without_a_current_value_progress_is_not_available(shipped_data):
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")
    assert indicator_row(user=AnonymousUser(), indicator=indicator).progress.status == "not_available"
