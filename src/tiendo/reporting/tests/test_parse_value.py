from decimal import Decimal

import pytest
from django.utils import translation

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import DataElement
from tiendo.reporting.validation import ENGLISH, VIETNAMESE, parse_value, typed_number_style

NUMBER = DataElement(code="X", name="Số", value_type="number")
YES_NO = DataElement(code="B", name="Có/không", value_type="boolean")


@pytest.mark.parametrize(
    ("text", "style", "expected"),
    [
        ("0.125", "machine", Decimal("0.125")),
        ("2.500", "machine", Decimal("2.5")),
        ("12.345", "machine", Decimal("12.345")),
        ("2.500", "vi", Decimal("2500")),
        ("1.293.000", "vi", Decimal("1293000")),
        ("44,91", "vi", Decimal("44.91")),
        ("1.293,5", "vi", Decimal("1293.5")),
        ("0.125", "vi", Decimal("0.125")),  # a thousands group never starts with 0
        ("2.500", "en", Decimal("2.5")),
        ("1,293,000", "en", Decimal("1293000")),
        ("44.91%", "en", Decimal("44.91")),
    ],
)
def test_numbers_are_read_the_way_their_writer_writes_them(text, style, expected):
    assert parse_value(text, NUMBER, style=style) == (expected, "")


def test_an_api_never_reads_a_comma_as_a_decimal_point():
    with translation.override("en"), pytest.raises(ApplicationError, match="is not a number"):
        parse_value("44,91", NUMBER, style="machine")
    with translation.override("vi"), pytest.raises(ApplicationError, match="không phải là số"):
        parse_value("44,91", NUMBER, style="machine")


def test_yes_and_no_in_both_languages():
    assert parse_value("có", YES_NO)[0] == 1
    assert parse_value("false", YES_NO)[0] == 0
    with translation.override("en"), pytest.raises(ApplicationError, match="is not yes/no"):
        parse_value("có lẽ", YES_NO)
    with translation.override("vi"), pytest.raises(ApplicationError, match="không phải có/không"):
        parse_value("có lẽ", YES_NO)


def test_people_type_numbers_the_way_their_interface_language_writes_them():
    with translation.override("vi"):
        assert typed_number_style() == VIETNAMESE
    with translation.override("en"):
        assert typed_number_style() == ENGLISH


def test_a_number_cell_is_taken_as_it_is():
    assert parse_value(1.5, NUMBER, style="vi") == (Decimal("1.5"), "")
