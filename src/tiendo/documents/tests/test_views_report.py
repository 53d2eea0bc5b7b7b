import io

import pytest
from docx import Document

pytestmark = pytest.mark.django_db


def test_the_plan_page_offers_the_report_and_it_downloads_as_docx_and_xlsx(client, shipped_data):
    page = client.get("/plans/quang-ngai-2025/").content.decode()
    assert 'href="/plans/quang-ngai-2025/report.docx"' in page
    response = client.get("/plans/quang-ngai-2025/report.docx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bao-cao-quang-ngai-2025.docx"'
    assert Document(io.BytesIO(response.content)).paragraphs[0].text == "BÁO CÁO"
    xlsx = client.get("/plans/quang-ngai-2025/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_an_unknown_plan_is_a_404(client, shipped_data):
    assert client.get("/plans/khong-co/report.docx").status_code == 404
