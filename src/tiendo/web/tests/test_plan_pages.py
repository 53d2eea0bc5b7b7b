import pytest

from tiendo.plans.models import Indicator

pytestmark = pytest.mark.django_db


def test_the_plan_page_lists_groups_indicators_targets_leads_values_and_verdicts(client, shipped_data):
    html = client.get("/plans/quang-ngai-2026/").content.decode()
    for heading in (
        "I. Chính quyền số",
        "II. Hạ tầng và dữ liệu số",
        "III. Kinh tế số và Xã hội số",
        "IV. An toàn thông tin",
        "V. Nguồn nhân lực",
    ):
        assert heading in html
    assert "Tỷ lệ phủ sóng 5G trên địa bàn (dân số)" in html
    assert "Hoàn thành" in html
    assert "Trung tâm Phục vụ hành chính công tỉnh" in html
    assert "Nhiệm vụ (9)" in html
    assert "01/01/2026 – 31/12/2026" in html


def test_the_2025_plan_page_shows_results_as_printed_and_verdicts(client, shipped_data):
    html = client.get("/plans/quang-ngai-2025/").content.decode()
    assert "75,15%" in html
    assert "Đã hợp nhất, kết nối từ 01/7/2025" in html
    assert "theo văn bản" in html


def test_the_indicator_page_has_the_chart_data_target_line_and_provenance(client, shipped_data):
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")
    response = client.get(f"/indicators/{indicator.pk}/")
    html = response.content.decode()
    assert response.context["chart"] == {
        "labels": ["2025"],
        "values": [75.15],
        "target": 80.0,
        "measure": "%",
        "targetLabel": "80%",
    }
    assert 'id="indicator-chart"' in html
    assert "echarts.min.js" in html
    assert "Văn bản ban hành" in html and "Phụ lục 1" in html
    assert "Mục tiêu 2026" in html


def test_an_unknown_plan_or_indicator_is_a_404_page(client, shipped_data):
    assert client.get("/plans/khong-co/").status_code == 404
    assert client.get("/indicators/999999/").status_code == 404
