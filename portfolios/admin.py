from django.contrib import admin

from portfolios.models import Enrolment, EnrolmentUnit, Evidence, EvidenceCriterion, EvidenceFile


class EnrolmentUnitInline(admin.TabularInline):
    model = EnrolmentUnit
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["learner", "qualification", "centre", "tutor", "status", "start_date"]
    list_filter = ["status", "centre"]
    search_fields = ["learner__username", "learner__last_name", "registration_number"]
    raw_id_fields = ["learner", "tutor", "created_by"]
    inlines = [EnrolmentUnitInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EvidenceFileInline(ReadOnlyInline):
    model = EvidenceFile
    fields = ["name", "size", "content_type", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class EvidenceCriterionInline(ReadOnlyInline):
    model = EvidenceCriterion
    fields = ["criterion", "created_at"]
    readonly_fields = fields


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    """Read-only: evidence changes only through the portfolio pages, which keep the rules
    (no change after submission, no deletion after assessment, files removed from storage)."""

    list_display = ["reference", "title", "enrolment", "method", "date", "submitted_at"]
    list_filter = ["method"]
    search_fields = ["reference", "title", "enrolment__learner__last_name"]
    inlines = [EvidenceFileInline, EvidenceCriterionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
