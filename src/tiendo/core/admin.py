from django.contrib import admin

from tiendo.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "object_type", "object_label", "actor_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_label", "object_id", "actor_label"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):  # the audit trail is written by services only
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
