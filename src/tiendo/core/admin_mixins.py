from __future__ import annotations

from django.contrib import admin
from django.forms.models import model_to_dict

from tiendo.core.services import audit_record


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits by the CĐS office write tiendo's audit row too (Django's own log is kept as well)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = {name: str(value) for name, value in model_to_dict(obj, fields=form.changed_data).items()}
        audit_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{'update' if change else 'create'}.admin",
            obj=obj,
            changes=changes,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action=f"{obj._meta.model_name}.delete.admin", obj=obj)
        super().delete_queryset(request, queryset)

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action=f"{obj._meta.model_name}.delete.admin", obj=obj)
        super().delete_model(request, obj)
