from import_export import fields
from import_export.widgets import ForeignKeyWidget

from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    LearningOutcome,
    Qualification,
    Unit,
)
from qualifications.spreadsheets import FormulaSafeResource


class QualificationResource(FormulaSafeResource):
    awarding_body = fields.Field(
        attribute="awarding_body",
        column_name="awarding_body",
        widget=ForeignKeyWidget(AwardingBody, field="short_name"),
    )

    class Meta:
        model = Qualification
        import_id_fields = ["number"]
        fields = ["number", "title", "awarding_body", "level", "min_credits", "notes"]
        skip_unchanged = True
        use_transactions = True


class UnitResource(FormulaSafeResource):
    class Meta:
        model = Unit
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "code",
            "title",
            "title_is_provisional",
            "needs_code",
            "level",
            "credit_value",
            "glh",
            "assessment_guidance",
            "additional_information",
            "notes",
        ]
        skip_unchanged = True
        use_transactions = True


class LearningOutcomeResource(FormulaSafeResource):
    unit = fields.Field(
        attribute="unit", column_name="unit", widget=ForeignKeyWidget(Unit, field="slug")
    )

    class Meta:
        model = LearningOutcome
        import_id_fields = ["unit", "number"]
        fields = ["unit", "number", "title", "kind", "guidance", "content", "evidence_guidance"]
        skip_unchanged = True
        use_transactions = True


class AssessmentCriterionResource(FormulaSafeResource):
    unit = fields.Field(
        attribute="unit", column_name="unit", widget=ForeignKeyWidget(Unit, field="slug")
    )
    outcome = fields.Field(column_name="outcome")

    class Meta:
        model = AssessmentCriterion
        import_id_fields = ["unit", "number"]
        fields = ["unit", "outcome", "number", "text", "guidance"]
        skip_unchanged = True
        use_transactions = True

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "outcome")

    def dehydrate_outcome(self, criterion):
        return criterion.outcome.number

    def before_save_instance(self, instance, row, **kwargs):
        # A criterion belongs to an outcome of its unit; the row names the outcome by number.
        instance.outcome = LearningOutcome.objects.get(
            unit=instance.unit, number=str(row["outcome"]).strip()
        )
        super().before_save_instance(instance, row, **kwargs)
