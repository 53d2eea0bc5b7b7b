from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.html import format_html

from tiendo.analytics.evaluation import VERDICT_LABELS

register = template.Library()

_VERDICT_CLASSES = {
    "dat": "text-bg-success",
    "chua_dat": "text-bg-danger",
    "chua_den_han": "text-bg-secondary",
    "thieu_so_lieu": "text-bg-warning",
}


@register.filter
def vnum(value, max_decimals: int = 2) -> str:
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


@register.filter
def measured(value, measure: str) -> str:
    """A value with its unit of measure: "44,91%", "532 trạm"."""
    text = vnum(value)
    if not text:
        return ""
    if measure == "%":
        return f"{text}%"
    return f"{text} {measure}".strip()


@register.simple_tag
def verdict_badge(verdict: str):
    return format_html(
        '<span class="badge verdict verdict-{} {}">{}</span>',
        verdict,
        _VERDICT_CLASSES.get(verdict, "text-bg-light"),
        VERDICT_LABELS.get(verdict, verdict),
    )


@register.filter
def display(obj) -> str:
    """Name in the active language for anything with `display_name`, else str()."""
    return getattr(obj, "display_name", None) or str(obj)


_STATUS_CLASSES = {
    "draft": "text-bg-light border",
    "submitted": "text-bg-info",
    "returned": "text-bg-warning",
    "approved": "text-bg-success",
}


@register.simple_tag
def status_badge(status: str):
    from tiendo.reporting.models import Submission

    label = dict(Submission.Status.choices).get(status, status)
    return format_html(
        '<span class="badge status status-{} {}">{}</span>', status, _STATUS_CLASSES.get(status, ""), label
    )
