from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q

from tiendo.core.admin_mixins import AuditedAdmin
from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import DataElement, DataValue, Submission
from tiendo.reporting.services import datavalue_admin_delete, datavalue_admin_save

LOCKED = (Submission.Status.SUBMITTED, Submission.Status.APPROVED)


@admin.register(DataElement)
class DataElementAdmin(AuditedAdmin):
    list_display = ["code", "name", "value_type", "measure", "aggregation"]
    list_filter = ["value_type", "aggregation"]
    search_fields = ["code", "name"]


@admin.register(DataValue)
class DataValueAdmin(admin.ModelAdmin):
    """Values of a submitted or approved report are read-only here (the office returns or reopens the
    report first); every edit goes through `datavalue_admin_save`, so it lands in the report's trail."""

    list_display = ["data_element", "unit", "period", "value", "source", "is_simulated", "stored_at"]
    list_filter = ["source", "is_simulated", "period"]
    search_fields = ["data_element__code", "unit__code", "unit__name"]
    autocomplete_fields = ["data_element", "unit"]
    readonly_fields = ["stored_by", "stored_at"]

    @staticmethod
    def _locked(obj: DataValue | None) -> bool:
        """Its owner or any report showing it (an unowned value in a report's cell) is locked."""
        if obj is None:
            return False
        reports = obj.reports_showing() | Q(pk=obj.submission_id)
        return Submission.objects.filter(reports, status__in=LOCKED).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked(obj)

    def save_model(self, request, obj, form, change):
        datavalue_admin_save(actor=request.user, value=obj, changed=list(form.changed_data))

    def delete_model(self, request, obj):
        datavalue_admin_delete(actor=request.user, value=obj)

    def delete_queryset(self, request, queryset):
        """All or nothing: one value of a locked report stops the whole deletion, with the reason."""
        try:
            with transaction.atomic():
                for obj in queryset.select_related("data_element"):
                    datavalue_admin_delete(actor=request.user, value=obj)
        except ApplicationError as exc:
            messages.error(request, str(exc))
