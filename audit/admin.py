"""The site admin reads the trail and the access log; nobody changes them there."""

from django.contrib import admin

from audit.models import AccessLogEntry, AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For the record: it changes only through the services that audit each change."""

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "actor_name", "action", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "actor_name", "hash"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "user", "method", "path", "what"]
    list_select_related = ["user"]
