from django.core.exceptions import ValidationError
from import_export import fields
from import_export.widgets import ForeignKeyWidget

from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    LearningOutcome,
    Qualification,
    Unit,
)
from qualifications.services import column_problems
from qualifications.spreadsheets import FormulaSafeResource


class CatalogueResource(FormulaSafeResource):
    """A catalogue import that refuses, row by row and in words, what the columns cannot hold.

    Every row is checked (full_clean, clean_model_instances in each Meta) before it is saved,
    and so are what full_clean lets through: a NUL character, which PostgreSQL refuses even
    in a lookup, and numbers beyond the column's range on SQLite. SQLite and PostgreSQL then
    refuse the same rows with the same messages instead of one storing them and the other
    failing the whole import.
    """

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        with_nul = [k for k, v in row.items() if isinstance(v, str) and "\x00" in v]
        if with_nul:
            raise ValidationError(
                dict.fromkeys(with_nul, "The cell holds a NUL character (binary data).")
            )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for name, message in column_problems(instance).items():
            errors.setdefault(name, []).append(message)
        super().validate_instance(instance, errors, validate_unique)


class QualificationResource(CatalogueResource):
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
        clean_model_instances = True


class UnitResource(CatalogueResource):
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
        clean_model_instances = True


class LearningOutcomeResource(CatalogueResource):
    unit = fields.Field(
        attribute="unit", column_name="unit", widget=ForeignKeyWidget(Unit, field="slug")
    )

    class Meta:
        model = LearningOutcome
        import_id_fields = ["unit", "number"]
        fields = ["unit", "number", "title", "kind", "guidance", "content", "evidence_guidance"]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True


class AssessmentCriterionResource(CatalogueResource):
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
        clean_model_instances = True

    def get_queryset(self):
        return super().get_queryset().select_related("unit", "outcome")

    def dehydrate_outcome(self, criterion):
        return criterion.outcome.number

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # A criterion belongs to an outcome of its unit; the row names the outcome by number.
        # Set before the row is validated; an unknown outcome fails the whole import.
        instance.outcome = LearningOutcome.objects.get(
            unit=instance.unit, number=str(row["outcome"]).strip()
        )
