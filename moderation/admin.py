"""The site admin may read the record, never change it: decisions, sign-offs, samples, the
audit trail and the access log are append-only (the models refuse changes as well)."""

from django.contrib import admin

from moderation.models import (
    AccessLogEntry,
    AuditEntry,
    CriterionDecision,
    EqaGrant,
    Notification,
    Sample,
    SampleDecision,
    SamplingPlan,
    SignOffAcknowledgement,
    UnitSignOff,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request, obj=None):
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


@admin.register(Sample)
class SampleAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "unit", "kind", "opened_by", "opened_at"]
    list_filter = ["kind"]
    list_select_related = ["enrolment__learner", "unit", "opened_by"]


@admin.register(SampleDecision)
class SampleDecisionAdmin(ReadOnlyAdmin):
    list_display = ["sample", "stage", "outcome", "signature_name", "signed_at"]
    list_filter = ["outcome", "stage"]
    list_select_related = ["sample__enrolment__learner", "sample__unit"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "actor_name", "action", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "actor_name", "hash"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "user", "method", "path"]
    list_select_related = ["user"]


@admin.register(EqaGrant)
class EqaGrantAdmin(ReadOnlyAdmin):
    """Granted and ended through the centre's pages, so that each change is audited."""

    list_display = ["moderator", "centre", "starts_at", "ends_at", "revoked_at"]
    list_select_related = ["moderator", "centre"]


@admin.register(SamplingPlan)
class SamplingPlanAdmin(ReadOnlyAdmin):
    list_display = ["tutor", "qualification", "centre", "learner_rate", "unit_rate"]
    list_select_related = ["tutor", "qualification", "centre"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "message", "created_at", "read_at"]
    list_select_related = ["recipient"]
