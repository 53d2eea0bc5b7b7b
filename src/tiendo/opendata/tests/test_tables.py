"""Reading an agency's file: types inferred, every bad cell named, nothing half-read."""

import io

import pytest
from openpyxl import Workbook

from tiendo.opendata.tables import TableRefusedError, check, csv_lines, infer_schema, read_table


def table_of(text: str, name: str = "t.csv"):
    return read_table(filename=name, content=text.encode())


def test_types_are_inferred_from_every_non_empty_cell_of_a_column():
    table = table_of('ma,nam,ty_le,ngay,ghi_chu\n01,2025,"44,91",31/12/2025,\n02,2026,50,2026-06-30,tốt\n')

    schema = infer_schema(table)

    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("ma", "integer"),
        ("nam", "integer"),
        ("ty_le", "number"),
        ("ngay", "date"),
        ("ghi_chu", "string"),
    ]
    rows = check(table, schema)
    assert rows[0] == {"ma": 1, "nam": 2025, "ty_le": 44.91, "ngay": "2025-12-31", "ghi_chu": None}
    assert rows[1]["ty_le"] == 50


def test_a_number_with_thousands_dots_is_text_not_a_guess():
    schema = infer_schema(table_of("so_dan\n1.293.000\n"))

    assert schema["fields"][0]["type"] == "string"


def test_a_later_version_names_each_cell_that_breaks_the_schema_and_keeps_nothing():
    schema = infer_schema(table_of("xa,so_ho\nA,10\nB,12\n"))
    later = table_of("xa,so_ho\nA,11\nB,mười hai\nC,\nD,1.5\n")

    with pytest.raises(TableRefusedError) as refused:
        check(later, schema)

    assert refused.value.total == 2
    assert [(e.row, e.column, e.value) for e in refused.value.errors] == [
        (3, "so_ho", "mười hai"),
        (5, "so_ho", "1.5"),
    ]
    assert "số nguyên" in refused.value.errors[0].message()
    assert later.rows == []


def test_a_later_version_with_other_columns_is_refused_naming_them():
    schema = infer_schema(table_of("xa,so_ho\nA,10\n"))

    with pytest.raises(TableRefusedError, match="Thiếu: so_ho; thừa: so_nha"):
        check(table_of("xa,so_nha\nA,10\n"), schema)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("a,,c\n1,2,3\n", "Cột thứ 2 không có tên"),
        ("a,a\n1,2\n", "“a” lặp lại"),
        ("a,b\n", "không có dòng số liệu"),
        ("a,b\n1,2,3\n", "Dòng 2 có 3 ô"),
    ],
)
def test_a_file_whose_shape_is_wrong_is_refused_with_the_reason(text, rule):
    with pytest.raises(TableRefusedError, match=rule):
        table_of(text)


def test_a_csv_that_is_not_utf8_is_refused_naming_the_encoding():
    with pytest.raises(TableRefusedError, match="UTF-8"):
        read_table(filename="x.csv", content="Hà Nội\n1\n".encode("latin-1", "replace"))  # "Hà" as one byte


def test_other_file_kinds_are_refused():
    with pytest.raises(TableRefusedError, match=".csv hoặc .xlsx"):
        read_table(filename="x.pdf", content=b"%PDF")


def test_an_xlsx_is_read_with_its_typed_cells():
    book = Workbook()
    sheet = book.active
    sheet.append(["xa", "so_ho", "ty_le"])
    sheet.append(["Tịnh Khê", 120, 0.5])
    sheet.append(["Cẩm Thành", 98, 0.75])
    out = io.BytesIO()
    book.save(out)

    table = read_table(filename="so-ho.xlsx", content=out.getvalue())
    rows = check(table, infer_schema(table))

    assert rows == [
        {"xa": "Tịnh Khê", "so_ho": 120, "ty_le": 0.5},
        {"xa": "Cẩm Thành", "so_ho": 98, "ty_le": 0.75},
    ]


def test_rows_written_back_as_csv_read_the_same():
    table = table_of('xa,ty_le\nTịnh Khê,"44,91"\n')
    rows = check(table, infer_schema(table))

    assert "".join(csv_lines(table.names, rows)) == "xa,ty_le\nTịnh Khê,44.91\n"
