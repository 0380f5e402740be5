from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Centre, Invitation, Membership, Notification, User
from audit.admin import ReadOnlyAdmin

# django-otp's own admin pages would add, change and delete people's second factors with no
# audit entry; they change only through `accounts.twofactor`.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class MembershipInline(admin.TabularInline):
    """Shown, not edited: roles change through `MembershipAdmin` or the centre's pages, which
    write each change to the audit trail."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ["centre", "role", "is_active", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "centre_number", "is_active", "staff_two_factor_required"]
    search_fields = ["name", "centre_number"]
    # Changed by the centre's admins on the centre's page, through the audited service.
    readonly_fields = ["staff_two_factor_required"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Site staff give a centre its first admin here. Every save goes through the services,
    so it is audited like a change made on the centre's pages; a role is ended, never deleted."""

    list_display = ["user", "centre", "role", "is_active"]
    list_filter = ["role", "is_active", "centre"]
    search_fields = ["user__username", "user__last_name", "centre__name"]
    autocomplete_fields = ["user", "centre"]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return ["user", "centre", "role"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if obj.is_active or not change:
            services.role_give(centre=obj.centre, person=obj.user, role=obj.role, by=request.user)
        if not obj.is_active:
            services.role_take(centre=obj.centre, person=obj.user, role=obj.role, by=request.user)
        obj.pk = Membership.objects.get(user=obj.user, centre=obj.centre, role=obj.role).pk


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "centre", "created_at", "expires_at", "accepted_at"]
    list_filter = ["centre"]
    search_fields = ["email"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "message", "created_at", "read_at"]
    list_select_related = ["recipient"]
