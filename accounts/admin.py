from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Centre, Membership, Notification, User
from audit.admin import ReadOnlyAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["centre"]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "centre_number", "is_active"]
    search_fields = ["name", "centre_number"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "centre", "role", "is_active"]
    list_filter = ["role", "is_active", "centre"]
    search_fields = ["user__username", "user__last_name", "centre__name"]
    autocomplete_fields = ["user", "centre"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "message", "created_at", "read_at"]
    list_select_related = ["recipient"]
