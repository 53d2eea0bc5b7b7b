from __future__ import annotations

from django import template
from django.utils.html import format_html

from tiendo.analytics.evaluation import VERDICT_LABELS
from tiendo.core.formatting import measured, vnum

register = template.Library()

_VERDICT_CLASSES = {
    "dat": "text-bg-success",
    "chua_dat": "text-bg-danger",
    "chua_den_han": "text-bg-secondary",
    "thieu_so_lieu": "text-bg-warning",
}


register.filter("vnum", vnum)
register.filter("measured", measured)


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
