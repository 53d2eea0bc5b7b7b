from io import BytesIO

import pytest
from openpyxl import load_workbook

from tiendo.reporting.models import DataValue, Submission

pytestmark = pytest.mark.django_db

URL = "/reports/T-XA-Q/21211/2026Q1/"


def download(client) -> bytes:
    response = client.get(URL + "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def fill(content: bytes, values: dict[str, object]) -> bytes:
    book = load_workbook(BytesIO(content))
    sheet = book["Biểu mẫu"]
    for row in range(7, sheet.max_row + 1):
        code = sheet[f"A{row}"].value
        if code in values:
            sheet[f"E{row}"] = values[code]
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, language: str = "en"):
    """Upload in the given interface language (the messages asserted here are English unless said)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.cookies["django_language"] = language  # as the language switch stores it
    return client.post(URL + "xlsx", {"file": SimpleUploadedFile("bieu.xlsx", content)}, follow=True)


def test_the_workbook_is_prefilled_with_unit_period_codes_and_current_values(
    client, small_forms, tinhkhe_reporter
):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    client.post(URL + "action", {"action": "save", "version": submission.version, "v_T_STAFF": "40"})
    book = load_workbook(BytesIO(download(client)))
    sheet = book["Biểu mẫu"]
    assert "Xã Tịnh Khê (21211)" in sheet["A3"].value
    assert "2026Q1" in sheet["A4"].value
    codes = {
        sheet[f"A{r}"].value: sheet[f"E{r}"].value
        for r in range(7, sheet.max_row + 1)
        if sheet[f"A{r}"].value
    }
    assert codes["T_STAFF"] == 40
    assert book["tiendo"].sheet_state == "hidden"


def test_a_filled_workbook_uploads_every_value(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    response = upload(client, fill(download(client), {"T_LAN_OK": "có", "T_TRAINED": 12, "T_STAFF": 40.0}))
    assert "imported 3 values" in response.content.decode()
    values = {
        v.data_element.code: v.value for v in DataValue.objects.filter(unit__code="21211", period="2026Q1")
    }
    assert values == {"T_LAN_OK": 1, "T_TRAINED": 12, "T_STAFF": 40}


def test_a_workbook_with_bad_cells_reports_each_cell_and_changes_nothing(
    client, small_forms, tinhkhe_reporter
):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    response = upload(
        client, fill(download(client), {"T_LAN_OK": "có lẽ", "T_TRAINED": "mười hai", "T_STAFF": 40})
    )
    html = response.content.decode()
    assert "nothing was imported (2 problems)" in html
    assert "Biểu mẫu!E8: T_LAN_OK" in html and "is not yes/no" in html
    assert "Biểu mẫu!E10: T_TRAINED" in html and "is not a number" in html
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_a_workbook_of_another_unit_is_refused(client, small_forms, tinhkhe_reporter, office_admin):
    client.force_login(office_admin)
    client.get("/reports/T-XA-Q/21172/2026Q1/")
    other = client.get("/reports/T-XA-Q/21172/2026Q1/xlsx").content
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    html = upload(client, other).content.decode()
    assert "the workbook belongs to another report: unit: 21172 ≠ 21211" in html


def test_an_outdated_workbook_is_refused_and_overwrites_nothing(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    old = download(client)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    client.post(URL + "action", {"action": "save", "version": submission.version, "v_T_STAFF": "41"})
    html = upload(client, fill(old, {"T_STAFF": 99})).content.decode()
    assert "download it again" in html
    assert DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211").value == 41


def test_a_file_that_is_not_a_workbook_is_refused_clearly(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    assert "not a valid XLSX file" in upload(client, b"not a spreadsheet").content.decode()
    assert "Tệp không phải XLSX hợp lệ" in upload(client, b"not a spreadsheet", "vi").content.decode()
