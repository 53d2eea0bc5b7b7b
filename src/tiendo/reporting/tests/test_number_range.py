"""Issue 10's reproducers for numbers: what the stored column cannot hold is refused, never stored.

Every path reads a typed value through `validation.parse_value` (the web grid, the XLSX upload, the
API, dataValueSets); these tests send the probe's values through it and through dataValueSets, and
check that a number already stored out of range on SQLite is moved aside by migration 0007.
"""

import base64
import json
from decimal import Decimal
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import DataElement, DataValue
from tiendo.reporting.validation import parse_value

NUMBER = DataElement(code="X", name="Số", value_type="number")
INTEGER = DataElement(code="N", name="Số nguyên", value_type="integer")
PERCENT = DataElement(code="P", name="Tỷ lệ", value_type="percentage")


@pytest.mark.parametrize("raw", ["1e30", 1e30, "100000000000000", "-1e14", "9.9e9999", "1" * 500])
def test_a_number_the_column_cannot_hold_is_refused_naming_the_range(raw):
    with (
        translation.override("en"),
        pytest.raises(ApplicationError, match="less than 100,000,000,000,000") as exc,
    ):
        parse_value(raw, NUMBER)
    assert exc.value.field == "X"
    with translation.override("vi"), pytest.raises(ApplicationError, match="nhỏ hơn 100.000.000.000.000"):
        parse_value(raw, NUMBER)


def test_the_largest_number_the_column_holds_is_accepted():
    assert parse_value("99999999999999.999999", NUMBER)[0] == Decimal("99999999999999.999999")
    assert parse_value("-99999999999999", NUMBER)[0] == Decimal("-99999999999999")


@pytest.mark.parametrize("raw", ["1e-30", 1e-30, "0.0000001", "2.1234567"])
def test_a_number_with_more_than_six_decimals_is_refused_not_rounded(raw):
    with translation.override("en"), pytest.raises(ApplicationError, match="at most 6 decimal places"):
        parse_value(raw, NUMBER)


def test_trailing_zeros_beyond_six_decimals_lose_nothing_and_are_accepted():
    assert parse_value("1.50000000000", NUMBER)[0] == Decimal("1.5")
    assert parse_value("1e-6", NUMBER)[0] == Decimal("0.000001")


@pytest.mark.parametrize("raw", ["2.5", 2.5, "1e-1"])
def test_an_integer_element_refuses_a_fraction(raw):
    with translation.override("en"), pytest.raises(ApplicationError, match="must be an integer"):
        parse_value(raw, INTEGER)
    assert parse_value("1e3", INTEGER)[0] == 1000


@pytest.mark.parametrize("raw", ["-1", "100.5", "1e3"])
def test_a_percentage_outside_0_to_100_is_refused(raw):
    with translation.override("en"), pytest.raises(ApplicationError, match="between 0 and 100"):
        parse_value(raw, PERCENT)


@pytest.mark.parametrize(
    "raw",
    ["NaN", "nan", "-Infinity", "inf", "sNaN", float("nan"), float("inf"), "1_000", "١٢٣", "１２３", "--1"],
)
def test_not_a_number_infinity_and_exotic_digits_are_refused(raw):
    with translation.override("en"), pytest.raises(ApplicationError, match="is not a number") as exc:
        parse_value(raw, NUMBER)
    assert exc.value.field == "X"


def test_a_refused_value_is_quoted_short_in_the_message():
    with pytest.raises(ApplicationError) as exc:
        parse_value("9" * 100_000, NUMBER)
    assert len(str(exc.value)) < 200


# --- the probe's reproducers through dataValueSets (both databases) ---

PAYLOAD = {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211"}
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"tinhkhe.reporter:pw-tinhkhe.reporter").decode()}


def _post(client, values, query=""):
    return client.post(
        "/api/dataValueSets" + query,
        data=json.dumps({**PAYLOAD, "dataValues": values}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_COOKIE="django_language=en",
        **AUTH,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1e30", "less than 100,000,000,000,000"),
        (1e30, "less than 100,000,000,000,000"),
        ("1e-30", "at most 6 decimal places"),
        ("2.5", "must be an integer"),
        ("NaN", "is not a number"),
    ],
)
def test_datavaluesets_refuses_a_number_out_of_range_and_stores_nothing(
    client, small_forms, tinhkhe_reporter, value, rule
):
    response = _post(client, [{"dataElement": "T_STAFF", "value": value}])
    assert response.status_code == 409
    conflicts = response.json()["response"]["conflicts"]
    assert rule in conflicts[0]["value"] and "T_STAFF" in conflicts[0]["value"]
    assert not DataValue.objects.filter(unit__code="21211").exists()


@pytest.mark.django_db
def test_after_a_refused_number_the_stored_value_can_still_be_overwritten_and_deleted(
    client, small_forms, tinhkhe_reporter
):
    assert _post(client, [{"dataElement": "T_STAFF", "value": "40"}]).status_code == 200
    assert _post(client, [{"dataElement": "T_STAFF", "value": "1e30"}]).status_code == 409
    assert DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211").value == 40
    assert _post(client, [{"dataElement": "T_STAFF", "value": "41"}]).status_code == 200
    deleted = _post(client, [{"dataElement": "T_STAFF", "value": "41"}], "?importStrategy=DELETE")
    assert deleted.status_code == 200
    assert not DataValue.objects.filter(data_element__code="T_STAFF", unit__code="21211").exists()


@pytest.mark.django_db
def test_a_number_stored_out_of_range_before_the_fix_is_moved_to_text_and_the_report_reads_again(
    client, small_forms, tinhkhe_reporter
):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite ever stored one: PostgreSQL's numeric(20, 6) refused it")
    assert _post(client, [{"dataElement": "T_STAFF", "value": "40"}]).status_code == 200
    stored = DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211")
    with connection.cursor() as cursor:  # what the probe left behind: a REAL in the decimal column
        cursor.execute(f"UPDATE {DataValue._meta.db_table} SET value = 1e30 WHERE id = %s", [stored.pk])
    with pytest.raises(Exception):  # noqa: B017 - Django's reading of it fails: the 500 of the probe
        DataValue.objects.get(pk=stored.pk)
    migration = import_module("tiendo.reporting.migrations.0008_datavalue_out_of_range_to_text")
    migration.move_out_of_range(apps, SimpleNamespace(connection=connection))
    moved = DataValue.objects.get(pk=stored.pk)
    assert moved.value is None and moved.text_value == "1.0e+30"
    assert "out of range" in moved.comment
    submission = moved.submission
    page = client.get(f"/api/v1/submissions/{submission.pk}", **AUTH)
    assert page.status_code == 200
    url = "/reports/T-XA-Q/21211/2026Q1/"
    client.force_login(tinhkhe_reporter)
    assert client.get(url).status_code == 200
    assert client.get(url + "xlsx").status_code == 200


# --- the same rule on the other paths: the web grid, the workbook, /api/v1 ---

GRID = "/reports/T-XA-Q/21211/2026Q1/"


@pytest.mark.django_db
def test_the_web_grid_refuses_a_number_out_of_range_and_saves_nothing(client, small_forms, tinhkhe_reporter):
    from tiendo.reporting.models import Submission

    client.force_login(tinhkhe_reporter)
    client.cookies["django_language"] = "en"
    client.get(GRID)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211", period="2026Q1")
    response = client.post(
        GRID + "action",
        {"action": "save", "version": submission.version, "v_T_TRAINED": "1e30", "v_T_STAFF": "2.5"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "less than 100,000,000,000,000" in html and "must be an integer" in html
    assert not DataValue.objects.filter(unit__code="21211").exists()


@pytest.mark.django_db
def test_a_workbook_cell_out_of_range_is_named_and_nothing_imported(client, small_forms, tinhkhe_reporter):
    from tiendo.reporting.tests.test_xlsx import URL, download, fill, upload

    assert URL == GRID
    client.force_login(tinhkhe_reporter)
    client.get(GRID)
    content = fill(download(client), {"T_LAN_OK": 1, "T_TRAINED": 1e30, "T_STAFF": 2.5})
    html = upload(client, content).content.decode()
    assert "Biểu mẫu!E10: T_TRAINED" in html and "less than 100,000,000,000,000" in html
    assert "Biểu mẫu!E11: T_STAFF" in html and "must be an integer" in html
    assert not DataValue.objects.filter(unit__code="21211").exists()


@pytest.mark.django_db
def test_the_submission_values_api_refuses_a_number_out_of_range(client, small_forms, tinhkhe_reporter):
    opened = client.post(
        "/api/v1/submissions",
        {"form": "T-XA-Q", "unit": "21211", "period": "2026Q1"},
        content_type="application/json",
        **AUTH,
    )
    submission_id = opened.json()["id"]
    response = client.put(
        f"/api/v1/submissions/{submission_id}/values",
        {"values": {"T_STAFF": "1e-30"}, "version": opened.json()["version"]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **AUTH,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "values" and "T_STAFF" in error["message"]
    assert "at most 6 decimal places" in error["message"]
    assert not DataValue.objects.filter(unit__code="21211").exists()
