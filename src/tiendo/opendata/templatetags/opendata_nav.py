"""`{% load opendata_nav %}{% opendata_manage_link %}`: the catalogue's link to the publishers'
pages, for those who manage some unit's datasets (the office, a unit's admin or reporter). Not in
the navigation bar: it is full on a 1366 px screen already."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tiendo.opendata.selectors import MANAGER_ROLES
from tiendo.orgunits.models import Membership
from tiendo.orgunits.selectors import user_is_office_admin

register = template.Library()


@register.simple_tag(takes_context=True)
def opendata_manage_link(context: dict[str, Any]) -> SafeString | str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    # the office is known already (cached on the user); anyone else: one query
    if (
        not user_is_office_admin(user)
        and not Membership.objects.filter(user=user, role__in=MANAGER_ROLES).exists()
    ):
        return ""
    return format_html(
        '<a class="btn btn-sm btn-outline-primary" href="{}" id="manage-link">{}</a>',
        reverse("opendata-manage"),
        _("Quản lý dữ liệu mở"),
    )
