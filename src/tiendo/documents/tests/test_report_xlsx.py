import io

import pytest
from django.contrib.auth.models import AnonymousUser
from openpyxl import load_workbook

from tiendo.documents.report import evaluation_report
from tiendo.documents.xlsx_writer import render_xlsx
from tiendo.plans.models import Plan

pytestmark = pytest.mark.django_db


def test_the_tables_are_sheets_with_a_bold_frozen_header_and_percentages_as_numbers(shipped_data):
    report = evaluation_report(user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"))
    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    assert workbook.sheetnames == ["Phụ lục I", "Phụ lục II"]
    results = workbook["Phụ lục I"]
    assert results.freeze_panes == "A2" and all(cell.font.bold for cell in results[1])
    first = [cell.value for cell in results[2]]
    assert first[1] == "1" and first[2].startswith("Cung cấp dịch vụ công trực tuyến toàn trình")
    assert first[3:5] == ["Văn phòng UBND tỉnh", "44,91% toàn trình; 97,22% TTHC cấp xã có DVCTT"]
    assert first[5] == pytest.approx(0.4491) and results.cell(row=2, column=6).number_format == "0.00%"
    assert first[7] == "Chưa đạt"
    assert results.max_row == 1 + 23
    assert workbook["Phụ lục II"].max_row == 1 + 34
