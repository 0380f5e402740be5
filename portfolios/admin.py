from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from portfolios.models import (
    CriterionDecision,
    Enrolment,
    EnrolmentUnit,
    EqaGrant,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    Observation,
    PortfolioImport,
    ProfessionalDiscussion,
    SignOffAcknowledgement,
    UnitSignOff,
    WitnessRequest,
    WitnessTestimony,
    WorkplaceVerification,
)


class EnrolmentUnitInline(admin.TabularInline):
    model = EnrolmentUnit
    extra = 0
    can_delete = False
    fields = ["unit", "position", "withdrawn_at", "withdrawal_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    """Read-only: enrolments change through the centre's pages, which audit every change."""

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


@admin.register(CriterionDecision)
class CriterionDecisionAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "criterion", "outcome", "decided_on", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["enrolment__learner__last_name", "criterion__number", "feedback"]
    list_select_related = ["enrolment__learner", "criterion", "decided_by"]
    date_hierarchy = "decided_at"


@admin.register(UnitSignOff)
class UnitSignOffAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "unit", "signature_name", "signed_at"]
    list_select_related = ["enrolment__learner", "unit"]
    date_hierarchy = "signed_at"


@admin.register(SignOffAcknowledgement)
class SignOffAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["sign_off", "learner", "acknowledged_at"]


@admin.register(EqaGrant)
class EqaGrantAdmin(ReadOnlyAdmin):
    """Granted and ended through the centre's pages, so that each change is audited."""

    list_display = ["moderator", "centre", "starts_at", "ends_at", "revoked_at"]
    list_select_related = ["moderator", "centre"]


@admin.register(PortfolioImport)
class PortfolioImportAdmin(ReadOnlyAdmin):
    """Read-only: where an imported portfolio came from (`portable/`)."""

    list_display = [
        "enrolment",
        "source_centre_name",
        "source_centre_number",
        "exported_at",
        "imported_at",
        "imported_by",
    ]
    search_fields = ["source_centre_name", "source_centre_number", "package_sha256"]
    raw_id_fields = ["enrolment", "imported_by"]


@admin.register(Observation, ProfessionalDiscussion, WitnessTestimony, WorkplaceVerification)
class MethodRecordAdmin(ReadOnlyAdmin):
    """Read-only: evidence methods' records are written by their services, each audited."""

    raw_id_fields = ["evidence"]


@admin.register(WitnessRequest)
class WitnessRequestAdmin(ReadOnlyAdmin):
    """Read-only; the token itself is never stored (only its hash), so nothing here opens it."""

    list_display = ["witness_email", "enrolment", "requested_at", "expires_at", "used_at"]
    exclude = ["token_hash"]
    raw_id_fields = ["enrolment", "requested_by"]
