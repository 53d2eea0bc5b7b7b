"""Numbers as a Vietnamese reader writes them (44,91% · 1.293.000), shared by pages and documents."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import formats


def vnum(value: object, max_decimals: int = 2) -> str:
    """A number in the active language's format, without trailing zeros: 44,91 · 1.293.000 · 100."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    number = round(number, int(max_decimals)).normalize()
    exponent = number.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def measured(value: object, measure: str) -> str:
    """A value with its unit of measure: "44,91%", "532 trạm"."""
    text = vnum(value)
    if not text:
        return ""
    if measure == "%":
        return f"{text}%"
    return f"{text} {measure}".strip()
