import pytest

from tiendo.plans.models import Indicator, Plan

pytestmark = pytest.mark.django_db


def test_plans_lists_both_shipped_plans_with_id_code_year_and_title(client, shipped_data):
    response = client.get("/api/v1/plans")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(p["code"], p["year"]) for p in items] == [("quang-ngai-2026", 2026), ("quang-ngai-2025", 2025)]
    assert items[0]["title"] == "Kế hoạch Chuyển đổi số tỉnh Quảng Ngãi năm 2026"
    assert isinstance(items[0]["id"], int)


def test_a_plans_indicators_carry_group_number_target_leads_value_and_verdict(client, shipped_data):
    plan = Plan.objects.get(code="quang-ngai-2026")
    items = client.get(f"/api/v1/plans/{plan.pk}/indicators").json()["items"]
    assert len(items) == 34
    first = items[0]
    assert {
        k: first[k]
        for k in ("group", "number", "target", "target_value", "unit", "lead_units", "value", "verdict")
    } == {
        "group": "I",
        "number": "1",
        "target": "80%",
        "target_value": 80.0,
        "unit": "%",
        "lead_units": ["Trung tâm Phục vụ hành chính công tỉnh"],
        "value": None,
        "verdict": "chua_den_han",
    }
    milestone = next(i for i in items if i["group"] == "II" and i["number"] == "2")
    assert (milestone["target"], milestone["target_value"]) == ("Hoàn thành", None)
    assert [i["number"] for i in items if i["group"] == "III"] == [str(n) for n in range(9, 17)]


def test_the_2025_indicators_show_value_and_the_documents_verdict(client, shipped_data):
    plan = Plan.objects.get(code="quang-ngai-2025")
    items = {i["number"]: i for i in client.get(f"/api/v1/plans/{plan.pk}/indicators").json()["items"]}
    assert (items["1"]["value"], items["1"]["verdict"], items["1"]["verdict_basis"]) == (
        44.91,
        "chua_dat",
        "computed",
    )
    assert (items["6"]["value"], items["6"]["verdict"], items["6"]["verdict_basis"]) == (
        None,
        "dat",
        "stated",
    )
    assert items["15"]["lead_units"] == [
        "Sở Khoa học và Công nghệ",
        "Văn phòng Tỉnh ủy",
        "Văn phòng UBND tỉnh",
    ]


def test_one_indicator_has_its_baseline_history_and_provenance(client, shipped_data):
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")
    body = client.get(f"/api/v1/indicators/{indicator.pk}").json()
    assert body["baseline"]["plan"] == "quang-ngai-2025"
    assert body["baseline"]["number"] == "2"
    assert body["history"] == [
        {
            "plan": "quang-ngai-2025",
            "indicator": "I.2",
            "period": "2025",
            "value": 75.15,
            "value_text": "75,15%",
            "unit": "51",
            "source": "document",
            "source_detail": "Kế hoạch Chuyển đổi số tỉnh Quảng Ngãi năm 2026, Phụ lục 1: Đánh giá kết quả thực hiện năm 2025",
            "stored_by": "tiendo load-plan",
            "stored_at": body["history"][0]["stored_at"],
            "is_simulated": False,
        }
    ]


def test_an_unknown_indicator_is_a_404_in_the_one_error_shape(client, shipped_data):
    response = client.get("/api/v1/indicators/999999")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Không tìm thấy", "field": "id"}}


def test_a_malformed_id_is_a_422_in_the_one_error_shape(client, shipped_data):
    response = client.get("/api/v1/plans/abc/indicators")
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("validation_error", "plan_id")


def test_listing_indicators_takes_a_fixed_number_of_queries(
    client, shipped_data, django_assert_max_num_queries
):
    plan = Plan.objects.get(code="quang-ngai-2026")
    # plan, indicators, responsibilities, baselines, stated values, verdicts, formula elements and sums
    with django_assert_max_num_queries(9):
        assert client.get(f"/api/v1/plans/{plan.pk}/indicators").status_code == 200


def test_the_openapi_document_describes_the_endpoints(client, shipped_data):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}/indicators",
        "/api/v1/indicators/{indicator_id}",
        "/api/v1/orgunits",
    } <= set(paths)
