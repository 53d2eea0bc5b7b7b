"""`{% load ioc_alerts %}{% alerts_open_badge %}`: the navigation's count of alerts not yet over
(a list item of the navigation bar, only while there is one)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tiendo.ioc.alerts_selectors import alerts_open_count

register = template.Library()


@register.simple_tag(takes_context=True)
def alerts_open_badge(context: dict[str, Any]) -> SafeString | str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    count = alerts_open_count(user=user)
    if not count:
        return ""
    return format_html(
        '<li class="nav-item"><a class="nav-link" href="{}" id="nav-alerts" title="{}">{} '
        '<span class="badge text-bg-danger">{}</span></a></li>',
        reverse("ioc-alerts"),
        _("Cảnh báo chưa kết thúc trong phạm vi của bạn"),
        _("Cảnh báo IOC"),
        count,
    )
