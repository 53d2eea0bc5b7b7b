"""hypothesis over the form upload with hostile workbooks: whatever the cells hold, whatever the zip
or its XML became, the import either stores the values or raises the domain error — never another
exception — and a refusal writes nothing."""

import io
import zipfile

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog
from tiendo.core.spreadsheet import put
from tiendo.reporting import xlsx
from tiendo.reporting.models import DataValue, Submission
from tiendo.reporting.services import submission_save
from tiendo.reporting.tests.test_xlsx import URL
from tiendo.reporting.validation import VIETNAMESE

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CODES = ["T_LAN_OK", "T_TRAINED", "T_STAFF", "NOT_A_CODE", ""]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["=1+1", "=cmd|' /C calc'!A0", "1e30", "1e-30", "2,5", "có", "không", "-0", " 12 "]),
)
XML_PARTS = [
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/workbook.xml",
    "xl/sharedStrings.xml",
]
HOSTILE_XML = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b'<!DOCTYPE a [<!ENTITY b "cccccccccc">]><worksheet>&b;</worksheet>',
            b"<worksheet>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</worksheet>",
            b"<worksheet><sheetData><row><c><v>1</v></c></row></sheetData>",
            b"",
        ]
    ),
)


def rewritten(content: bytes, part: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, data if member.filename == part else source.read(member))
    return output.getvalue()


def workbook(base: bytes, cells: dict, comments: dict) -> bytes:
    book = load_workbook(io.BytesIO(base))
    sheet = book["Biểu mẫu"]
    for row in range(xlsx.FIRST_ROW, sheet.max_row + 1):
        code = sheet[f"A{row}"].value
        if code in cells:
            put(sheet[f"E{row}"], cells[code])
        if code in comments:
            put(sheet[f"F{row}"], comments[code])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def import_or_refuse(submission: Submission, actor, content: bytes) -> None:
    before = (DataValue.objects.count(), AuditLog.objects.count())
    try:
        with transaction.atomic():
            data = xlsx.read_upload(submission, content)
            submission_save(
                actor=actor,
                submission=submission,
                values=data.values,
                comments=data.comments,
                version=data.version,
                number_style=VIETNAMESE,
            )
    except ApplicationError:
        assert (DataValue.objects.count(), AuditLog.objects.count()) == before


@pytest.fixture
def base(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    return client.get(URL + "xlsx").content


@FUZZ
@given(
    cells=st.dictionaries(st.sampled_from(CODES), VALUES, max_size=5),
    comments=st.dictionaries(st.sampled_from(CODES), st.text(max_size=60), max_size=3),
)
def test_any_cell_values_are_stored_or_refused_whole(base, tinhkhe_reporter, cells, comments):
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    submission.refresh_from_db()
    import_or_refuse(submission, tinhkhe_reporter, workbook(base, cells, comments))


@FUZZ
@given(
    part=st.sampled_from(XML_PARTS),
    data=HOSTILE_XML,
    flip=st.one_of(st.none(), st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255))),
)
def test_any_broken_zip_or_xml_is_refused_with_the_domain_error(base, tinhkhe_reporter, part, data, flip):
    content = rewritten(base, part, data)
    if flip is not None:
        at, byte = flip
        content = content[: at % len(content)] + bytes([byte]) + content[at % len(content) + 1 :]
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    import_or_refuse(submission, tinhkhe_reporter, content)
