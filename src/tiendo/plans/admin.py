from django.contrib import admin

from tiendo.core.admin_mixins import AuditedAdmin
from tiendo.plans.models import Indicator, Plan, StatedVerdict, Task


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["code", "year", "title", "issuer", "ends_on", "source_file"]
    search_fields = ["code", "title"]

    def has_add_permission(self, request):  # plans come from files: `tiendo load-plan FILE`
        return False


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ["__str__", "plan", "target_text", "direction", "lead_text"]
    list_filter = ["plan", "group__code", "direction"]
    search_fields = ["name", "name_en", "lead_text"]
    readonly_fields = ["plan", "group", "number"]

    def has_add_permission(self, request):
        return False


@admin.register(StatedVerdict)
class StatedVerdictAdmin(AuditedAdmin):
    """Verdicts set by hand carry who and why (DESIGN.md §5)."""

    list_display = ["indicator", "period", "verdict", "source", "stated_by", "stated_at"]
    list_filter = ["verdict", "indicator__plan"]
    autocomplete_fields = ["indicator"]
    readonly_fields = ["stated_by"]

    def save_model(self, request, obj, form, change):
        obj.stated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Task)
class TaskAdmin(AuditedAdmin):
    list_display = ["__str__", "plan", "due_on", "status"]
    list_filter = ["plan", "status"]
    search_fields = ["title"]
    readonly_fields = ["plan", "number"]
