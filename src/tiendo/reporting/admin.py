from django.contrib import admin

from tiendo.core.admin_mixins import AuditedAdmin
from tiendo.reporting.models import DataElement, DataValue


@admin.register(DataElement)
class DataElementAdmin(AuditedAdmin):
    list_display = ["code", "name", "value_type", "measure", "aggregation"]
    list_filter = ["value_type", "aggregation"]
    search_fields = ["code", "name"]


@admin.register(DataValue)
class DataValueAdmin(AuditedAdmin):
    list_display = ["data_element", "unit", "period", "value", "source", "is_simulated", "stored_at"]
    list_filter = ["source", "is_simulated", "period"]
    search_fields = ["data_element__code", "unit__code", "unit__name"]
    autocomplete_fields = ["data_element", "unit"]
    readonly_fields = ["stored_by", "stored_at"]

    def save_model(self, request, obj, form, change):
        obj.stored_by = request.user
        obj.stored_by_label = request.user.get_username()
        obj.source = obj.source or DataValue.Source.MANUAL
        super().save_model(request, obj, form, change)
