import pytest

from tiendo.documents.models import ReportTemplate

pytestmark = pytest.mark.django_db
URL = "/documents/templates/evaluation-report/"


def test_the_office_previews_with_figures_then_saves_a_version(client, office_admin, shipped_data):
    client.force_login(office_admin)
    page = client.get(URL).content.decode()
    assert "indicators.dat_count" in page  # the shipped text, ready to edit
    preview = client.post(URL, {"body": "Đạt {{ indicators.dat_count }}", "preview": "1"})
    assert 'id="template-preview"' in preview.content.decode() and "Đạt 19" in preview.content.decode()
    saved = client.post(URL, {"body": "Đạt {{ indicators.dat_count }}", "save": "1", "note": "ngắn"})
    assert saved.status_code == 302 and ReportTemplate.objects.get().version == 1


def test_a_bad_placeholder_is_shown_and_the_typed_text_stays(client, office_admin, shipped_data):
    client.force_login(office_admin)
    response = client.post(URL, {"body": "Tổng {{ indicators.tong }}", "save": "1"})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="template-error"' in html and "tong" in html
    assert "Tổng {{ indicators.tong }}" in html and not ReportTemplate.objects.exists()


def test_a_reporter_cannot_open_the_template_page(client, tinhkhe_reporter, shipped_data):
    client.force_login(tinhkhe_reporter)
    assert client.get(URL).status_code == 404
