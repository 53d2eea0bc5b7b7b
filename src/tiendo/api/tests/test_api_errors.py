import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_route_answers_in_the_one_error_shape(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Không tìm thấy", "field": None}}


def test_an_api_client_asking_for_english_gets_english_error_messages(client, shipped_data):
    response = client.get("/api/v1/khong-co", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.json()["error"]["message"] == "Not found"
    response = client.get("/api/v1/plans/999999", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    response = client.post("/api/v1/dossiers", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"] == {
        "code": "unauthenticated",
        "message": "Authentication required",
        "field": None,
    }
    anonymous = client.post("/api/v1/dossiers", {}, content_type="application/json")
    assert anonymous.json()["error"]["message"] == "Cần đăng nhập"  # no header: Vietnamese, the default


def test_pages_stay_vietnamese_whatever_the_browser_asks_for(client, shipped_data):
    html = client.get("/plans/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi"' in html


def test_an_unknown_page_is_an_html_404(client):
    response = client.get("/khong-co/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_api_docs_load_nothing_from_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html
    assert "/static/ninja/" in html
