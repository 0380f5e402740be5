"""The site admin may read the record, never change it: decisions, sign-offs, samples, the
audit trail and the access log are append-only (the models refuse changes as well)."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from moderation.models import Sample, SampleDecision, SamplingPlan


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


@admin.register(SamplingPlan)
class SamplingPlanAdmin(ReadOnlyAdmin):
    list_display = ["tutor", "qualification", "centre", "learner_rate", "unit_rate"]
    list_select_related = ["tutor", "qualification", "centre"]
