"""The evaluation report as DOCX, read back with python-docx and held against the seed document
(Phụ lục 1 typed independently in plans/tests/test_shipped_plans_match_seed.py) and the numbers of
Nghị định 30/2020/NĐ-CP, Phụ lục I."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from docx import Document
from docx.oxml.ns import qn

from tiendo.documents.docx_writer import render_docx
from tiendo.documents.report import evaluation_report
from tiendo.plans.models import Plan
from tiendo.plans.tests.test_shipped_plans_match_seed import (
    GROUP_NAMES_2026,
    RESULTS_2025,
    TARGETS_2026,
)

pytestmark = pytest.mark.django_db

VERDICT_TEXT = {"dat": "Đạt", "chua_dat": "Chưa đạt"}


@pytest.fixture
def document(shipped_data):
    report = evaluation_report(user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"))
    return Document(io.BytesIO(render_docx(report, signer_name="Nguyễn Văn A")))


def runs_of(document, text):
    for paragraph in document.paragraphs + [
        p for t in document.tables for c in t._cells for p in c.paragraphs
    ]:
        if paragraph.text.strip() == text:
            return paragraph, [r for r in paragraph.runs if r.text.strip()]
    raise AssertionError(f"no paragraph {text!r}")


def size(run) -> float:
    return run.font.size.pt


def test_phu_luc_1_has_the_seeds_rows_in_order_with_lead_agency_result_and_verdict(document):
    table = document.tables[2]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["TT", "Chỉ tiêu", "Cơ quan chủ trì", "Kết quả thực hiện năm 2025", "Đánh giá"]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[0] for r in rows] == list(RESULTS_2025)  # 1 … 23, in the seed's order
    for (number, lead, result, verdict), (tt, (seed_lead, seed_result, seed_verdict)) in zip(
        [(r[0], r[2], r[3], r[4]) for r in rows], RESULTS_2025.items(), strict=True
    ):
        assert number == tt
        assert lead == seed_lead, tt
        assert seed_result is None or result == seed_result, tt  # None: not typed there (a long cell)
        assert verdict == VERDICT_TEXT[seed_verdict], tt


def test_phu_luc_2_has_the_2026_targets_grouped_i_to_v(document):
    table = document.tables[3]
    assert [c.text for c in table.rows[0].cells] == [
        "TT",
        "Chỉ tiêu",
        "Mục tiêu năm 2026",
        "Cơ quan chủ trì/Đánh giá",
    ]
    groups, current = {}, None
    for row in table.rows[1:]:
        cells = [c.text for c in row.cells]
        if cells[1] == cells[-1]:  # a merged group row
            current = cells[0]
            assert cells[1] == GROUP_NAMES_2026[current]
            groups[current] = []
        else:
            groups[current].append((cells[0], cells[2]))
    assert groups == {code: list(targets) for code, targets in TARGETS_2026.items()}


def test_the_page_and_the_header_block_follow_the_decree(document):
    for section in document.sections:
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
        assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    _, (quoc_hieu,) = runs_of(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert quoc_hieu.bold and 12 <= size(quoc_hieu) <= 13 and quoc_hieu.font.name == "Times New Roman"
    _, (tieu_ngu,) = runs_of(document, "Độc lập - Tự do - Hạnh phúc")
    assert tieu_ngu.bold and 13 <= size(tieu_ngu) <= 14
    _, (agency,) = runs_of(document, "SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    assert agency.bold and 12 <= size(agency) <= 13
    _, (number,) = runs_of(document, "Số:        /BC-SKHCN")
    assert size(number) == 13 and not number.bold
    place = next(
        p for p in document.tables[0].rows[0].cells[1].paragraphs if p.text.startswith("Quảng Ngãi, ngày")
    )
    assert place.runs[0].italic and 13 <= size(place.runs[0]) <= 14
    _, (title,) = runs_of(document, "BÁO CÁO")
    assert title.bold and 13 <= size(title) <= 14
    _, (received,) = runs_of(document, "Nơi nhận:")
    assert received.bold and received.italic and size(received) == 12
    recipients = [p for p in document.tables[1].rows[0].cells[0].paragraphs if p.text.startswith("- ")]
    assert recipients[-1].text == "- Lưu: VT, SKHCN." and all(size(p.runs[0]) == 11 for p in recipients)
    _, (appendix,) = runs_of(document, "Phụ lục I")
    assert appendix.bold and size(appendix) == 14


def test_pages_are_numbered_at_the_top_from_page_two_and_again_in_each_appendix(document):
    for index, section in enumerate(document.sections):
        assert section.different_first_page_header_footer
        header = section.header.paragraphs[0]
        assert "PAGE" in header._p.xml and header.alignment == 1  # centred
        restarts = section._sectPr.findall(qn("w:pgNumType"))
        assert len(restarts) == (1 if index > 0 else 0)  # once per appendix, never twice
        if restarts:
            assert restarts[0].get(qn("w:start")) == "1"
            names = [child.tag.split("}")[1] for child in section._sectPr]
            assert names.index("pgNumType") < names.index("titlePg")  # in the schema's order


def test_the_appendix_tables_repeat_their_header_row_on_every_page(document):
    for table in document.tables[2:]:
        marker = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
        assert marker is not None and marker.get(qn("w:val")) == "true"


def test_the_body_counts_the_verdicts_and_names_what_was_missed(document):
    text = "\n".join(p.text for p in document.paragraphs)
    assert "trong 23 chỉ tiêu của Kế hoạch có 19 chỉ tiêu đạt, 4 chỉ tiêu chưa đạt" in text
    assert "Chỉ tiêu 1: Cung cấp dịch vụ công trực tuyến toàn trình" in text
    assert "(Kèm theo Báo cáo số" in text
