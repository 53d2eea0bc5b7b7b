import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_route_answers_in_the_one_error_shape(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Không tìm thấy / Not found", "field": None}
    }


def test_an_unknown_page_is_an_html_404(client):
    response = client.get("/khong-co/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_api_docs_load_nothing_from_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html
    assert "/static/ninja/" in html
