import pytest

pytestmark = pytest.mark.django_db


def test_the_units_list_shows_the_96_communes_with_codes_over_pages(client, shipped_data):
    response = client.get("/units/")
    html = response.content.decode()
    assert "96 đơn vị" in html
    assert "<code>21211</code>" in html or "21211" in html
    assert response.context["page"].paginator.num_pages == 2


def test_the_units_list_searches_without_diacritics_and_answers_htmx_with_rows_only(client, shipped_data):
    response = client.get("/units/", {"q": "ly son"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Đặc khu Lý Sơn" in html
    assert "<html" not in html
    assert "1 đơn vị" in html


def test_the_units_list_sorts_by_code(client, shipped_data):
    response = client.get("/units/", {"sort": "-code"})
    codes = [u.code for u in response.context["page"]]
    assert codes == sorted(codes, reverse=True)


def test_logging_in_with_a_wrong_password_says_so_in_the_readers_language(client, tinhkhe_viewer):
    html = client.post("/accounts/login/", {"username": "tinhkhe.viewer", "password": "sai"}).content.decode()
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in html and "Wrong username" not in html
    client.cookies["django_language"] = "en"
    html = client.post("/accounts/login/", {"username": "tinhkhe.viewer", "password": "sai"}).content.decode()
    assert "Wrong username or password." in html and "mật khẩu" not in html


def test_logging_in_lands_on_the_home_page(client, tinhkhe_viewer):
    response = client.post(
        "/accounts/login/", {"username": "tinhkhe.viewer", "password": "pw-tinhkhe.viewer"}
    )
    assert response.status_code == 302 and response.url == "/"
