from django.contrib import admin

from tiendo.core.admin_mixins import AuditedAdmin
from tiendo.orgunits.models import Membership, OrgUnit, UnitGroup


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "division_type", "parent"]
    list_filter = ["kind", "division_type"]
    search_fields = ["code", "name", "name_en", "search_text"]
    readonly_fields = ["path", "source"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        """Code and parent define the tree paths that permissions use: fixed once a unit exists."""
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "code", "parent"] if obj is not None else fields


@admin.register(UnitGroup)
class UnitGroupAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]
