"""hypothesis over `validation.parse_value`, the one reader of every typed number (the web grid, the
XLSX upload, the API, dataValueSets): whatever it is given, it either refuses with an
ApplicationError naming the element, or returns a number DataValue.value holds exactly."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import DataElement
from tiendo.reporting.validation import ENGLISH, MACHINE, MAX_ABS, VIETNAMESE, parse_value

ELEMENTS = [
    DataElement(code="X", name="Số", value_type="number"),
    DataElement(code="N", name="Số nguyên", value_type="integer"),
    DataElement(code="P", name="Tỷ lệ", value_type="percentage"),
]
STYLES = [MACHINE, VIETNAMESE, ENGLISH]
COLUMN = DecimalValidator(max_digits=20, decimal_places=6)  # DataValue.value

huge_or_tiny = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(-(10**6), 10**6), st.integers(-60, 60)),
)
digits_of_every_script = st.characters(categories=["Nd"])
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("0123456789.,-+eE_ %\u00a0"), max_size=30),
    st.text(alphabet=digits_of_every_script, min_size=1, max_size=12),
    huge_or_tiny.map(str),
)


def _holds(number: Decimal, element: DataElement) -> None:
    COLUMN(number)  # raises ValidationError if the column cannot hold it exactly
    assert abs(number) < MAX_ABS
    if element.value_type == "integer":
        assert number == number.to_integral_value()
    if element.value_type == "percentage":
        assert 0 <= number <= 100


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    raw=st.one_of(hostile_text, huge_or_tiny),
    element=st.sampled_from(ELEMENTS),
    style=st.sampled_from(STYLES),
)
@example(raw="1e30", element=ELEMENTS[0], style=MACHINE)
@example(raw="1e-30", element=ELEMENTS[0], style=MACHINE)
@example(raw=float("nan"), element=ELEMENTS[0], style=VIETNAMESE)
@example(raw="١٢٣", element=ELEMENTS[0], style=MACHINE)
def test_a_value_is_refused_naming_its_element_or_is_a_number_the_column_holds(raw, element, style):
    try:
        number, text = parse_value(raw, element, style=style)
    except ApplicationError as exc:
        assert exc.field == element.code and element.code in str(exc)
        return
    assert text == ""
    if number is not None:
        try:
            _holds(number, element)
        except ValidationError as exc:  # pragma: no cover - the failure hypothesis would show
            pytest.fail(f"{raw!r} became {number!r}, which the column cannot hold: {exc}")


@settings(max_examples=200, derandomize=True, deadline=None)
@given(text=st.text(alphabet=digits_of_every_script, min_size=1, max_size=12))
def test_digits_other_than_ascii_are_refused(text):
    if text.isascii():
        return
    with pytest.raises(ApplicationError):
        parse_value(text, ELEMENTS[0])


def _grouped(number: Decimal, thousands: str, point: str) -> str:
    whole, _, fraction = format(abs(number), "f").partition(".")
    groups = f"{int(whole):,}".replace(",", thousands)
    return ("-" if number < 0 else "") + groups + (point + fraction if fraction else "")


in_range = st.decimals(
    min_value=Decimal("-99999999999999.999999"), max_value=Decimal("99999999999999.999999"), places=6
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(number=in_range)
def test_a_number_in_range_written_in_either_style_reads_back_as_itself(number):
    assert parse_value(_grouped(number, ".", ","), ELEMENTS[0], style=VIETNAMESE)[0] == number
    assert parse_value(_grouped(number, ",", "."), ELEMENTS[0], style=ENGLISH)[0] == number
    assert parse_value(format(number, "f"), ELEMENTS[0], style=MACHINE)[0] == number


@settings(max_examples=200, derandomize=True, deadline=None)
@given(number=st.decimals(allow_nan=False, allow_infinity=False))
def test_a_number_the_column_cannot_hold_is_refused_never_rounded(number):
    fits = abs(number) < MAX_ABS and number == number.quantize(Decimal("1e-6"))
    try:
        parsed = parse_value(format(number, "f"), ELEMENTS[0], style=MACHINE)[0]
    except ApplicationError:
        assert not fits
        return
    assert fits and parsed == number
