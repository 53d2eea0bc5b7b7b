import pytest

pytestmark = pytest.mark.django_db


def test_a_unit_page_shows_its_indicators_and_tasks(client, shipped_data):
    html = client.get("/units/SKHCN/").content.decode()
    assert "Sở Khoa học và Công nghệ" in html
    assert "Tỷ lệ phủ sóng 5G trên địa bàn (dân số)" in html
    assert "Hạ tầng số" in html


def test_a_commune_page_lists_what_the_plan_assigns_to_all_communes(client, shipped_data):
    html = client.get("/units/21211/").content.decode()
    assert "Tỷ lệ Tổ công nghệ số cộng đồng hoạt động hiệu quả, duy trì tập huấn" in html


def test_a_viewer_sees_their_own_communes_private_section(client, tinhkhe_viewer):
    client.force_login(tinhkhe_viewer)
    html = client.get("/units/21211/").content.decode()
    assert 'id="unit-values"' in html
    assert "tinhkhe.viewer" in html


def test_a_viewer_does_not_see_another_communes_private_section(client, tinhkhe_viewer, other_viewer):
    client.force_login(tinhkhe_viewer)
    html = client.get("/units/21172/").content.decode()
    assert 'id="private-hidden"' in html
    assert 'id="unit-values"' not in html
    assert "other.viewer" not in html


def test_an_anonymous_visitor_is_invited_to_log_in_for_private_data(client, shipped_data):
    html = client.get("/units/21211/").content.decode()
    assert 'id="private-hidden"' in html
    assert "/accounts/login/?next=" in html


def test_the_office_admin_sees_the_provinces_document_values(client, office_admin):
    client.force_login(office_admin)
    html = client.get("/units/51/").content.decode()
    assert 'id="unit-values"' in html
    assert "Văn bản ban hành" in html


def test_an_unknown_unit_is_a_404(client, shipped_data):
    assert client.get("/units/00000/").status_code == 404


def test_a_unit_page_shows_its_dossiers_by_month_and_its_rank_on_the_dossier_indicators(client, shipped_data):
    from tiendo.analytics.feed import dossiers_import
    from tiendo.analytics.tests.test_dossiers_import import HEADER, row

    dossiers_import(text=HEADER + row("D1") + row("D2", channel="truc_tiep") + row("D3", unit="21172"))
    html = client.get("/units/21211/").content.decode()
    assert 'id="unit-dossiers"' in html and "03/2026" in html
    assert "Hồ sơ thủ tục hành chính năm 2026" in html  # a year, not "2.026"
    english = client.get("/units/21211/", HTTP_ACCEPT_LANGUAGE="en", headers={"Cookie": "django_language=en"})
    assert ", 2026</h2>" in english.content.decode()  # not "2,026"
    assert 'id="unit-ranks"' in html
    assert '<td class="num unit-rank">2/2</td>' in html  # I.1: 50 % here, 100 % in 21172
