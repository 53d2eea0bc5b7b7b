import pytest

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_each_plans_verdicts_and_the_indicators_at_risk(client, shipped_data):
    html = client.get("/").content.decode()
    assert "Kế hoạch Chuyển đổi số tỉnh Quảng Ngãi năm 2026" in html
    assert "Đạt: 19" in html and "Chưa đạt: 4" in html
    assert "Chưa đến hạn: 34" in html
    # the 2025 indicators that were not achieved, with Vietnamese number formats
    assert "44,91%" in html and "83,28%" in html


def test_vietnamese_is_the_default_even_when_the_browser_asks_for_english(client, shipped_data):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in html
    assert "Tổng quan" in html


def test_english_is_one_switch_away_with_english_names_and_number_formats(client, shipped_data):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Overview" in html
    assert "Quảng Ngãi digital transformation plan 2026" in html
    assert "44.91%" in html
    assert "Digital government" in html


def test_the_home_page_without_plans_explains_how_to_load_one(client, db):
    from tiendo.plans.models import Plan

    Plan.objects.all().delete()
    assert "tiendo load-plan FILE" in client.get("/").content.decode()


def test_the_home_page_takes_a_fixed_number_of_queries(client, shipped_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        assert client.get("/").status_code == 200
