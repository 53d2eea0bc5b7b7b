import io

import pytest
from docx import Document

from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.tests.test_dossiers_import import HEADER, row

pytestmark = pytest.mark.django_db


def texts(content: bytes) -> tuple[list[str], list[list[list[str]]]]:
    document = Document(io.BytesIO(content))
    return [p.text for p in document.paragraphs], [
        [[c.text for c in r.cells] for r in t.rows] for t in document.tables
    ]


def test_a_commune_gets_a_page_with_its_indicators_ranks_and_tasks(client, shipped_data):
    dossiers_import(text=HEADER + row("D1") + row("D2", channel="truc_tiep") + row("D3", unit="21172"))
    response = client.get("/units/21211/report.docx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bao-cao-don-vi-21211.docx"'
    paragraphs, tables = texts(response.content)
    assert "của Xã Tịnh Khê" in " ".join(paragraphs)
    assert tables[1][0] == ["TT", "Chỉ tiêu", "Kết quả", "Đánh giá"]  # what the commune is given
    ranks = tables[2]
    assert ranks[0] == ["TT", "Chỉ tiêu", "Giá trị của đơn vị", "Hạng", "Mục tiêu"]
    assert ["I.1", ranks[1][1], "50%", "2/2", "dưới mục tiêu"] in ranks  # 50 % here, 100 % in 21172
    assert "Chỉ đơn vị và Văn phòng CĐS xem được phần này." in paragraphs  # anonymous: no overdue list


def test_the_unit_itself_sees_its_overdue_reports_in_the_page(client, tinhkhe_reporter, shipped_data):
    client.force_login(tinhkhe_reporter)
    paragraphs, tables = texts(client.get("/units/21211/report.docx").content)
    assert "Chỉ đơn vị và Văn phòng CĐS xem được phần này." not in paragraphs
    assert any(t[0] == ["Biểu mẫu", "Kỳ", "Hạn nộp", "Số ngày trễ"] for t in tables) or (
        "Không có báo cáo quá hạn." in paragraphs
    )


def test_the_unit_page_offers_the_report(client, shipped_data):
    assert 'href="/units/21211/report.docx"' in client.get("/units/21211/").content.decode()
    assert client.get("/units/99999/report.docx").status_code == 404


def test_someone_outside_the_unit_is_told_the_overdue_part_is_not_theirs(client, other_viewer, shipped_data):
    client.force_login(other_viewer)  # a viewer at another commune
    paragraphs, _ = texts(client.get("/units/21211/report.docx").content)
    assert "Chỉ đơn vị và Văn phòng CĐS xem được phần này." in paragraphs
