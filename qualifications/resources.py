"""The site admin's spreadsheet import and export (CSV, XLSX, JSON) of the catalogue.

Columns carry the names the qualification structure document uses (`qualifications.structure`,
docs/qualification.schema.json): version, lineage, tqt, label, grade, mandatory, min_units,
max_units, grading … so one vocabulary describes a qualification whichever way it travels. A
qualification is named by its number, version and owning centre (blank: the shared catalogue);
a unit by its slug; a centre by its centre number.
"""

import json

from django.core.exceptions import ValidationError
from import_export import fields
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget, Widget

from accounts.models import Centre
from qualifications.grading import SchemeError, validate_scheme
from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
    BarredCombination,
    EvidenceMethod,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
    UnitCode,
    UnitGroup,
)
from qualifications.services import column_problems
from qualifications.spreadsheets import FormulaSafeResource


class GradingWidget(Widget):
    """The grading points table as JSON text in one cell; checked as the editor checks it."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return {}
        try:
            return validate_scheme(json.loads(value))
        except json.JSONDecodeError as error:
            raise ValueError(f"The grading points table is not JSON ({error}).") from error
        except SchemeError as error:
            raise ValueError(str(error)) from error

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value or {}, ensure_ascii=False)


class QualificationWidget(ForeignKeyWidget):
    """A qualification named by its number, with the row's `qualification_version` and
    `qualification_centre` (blank: shared) columns."""

    def __init__(self, **kwargs):
        super().__init__(Qualification, field="number", **kwargs)

    def get_queryset(self, value, row, *args, **kwargs):
        centre = (row or {}).get("qualification_centre") or None
        version = (row or {}).get("qualification_version") or 1
        return Qualification.objects.filter(
            version=int(version),
            **({"centre__centre_number": centre} if centre else {"centre__isnull": True}),
        )


def qualification_fields():
    return (
        fields.Field(
            attribute="qualification", column_name="qualification", widget=QualificationWidget()
        ),
        fields.Field(
            attribute="qualification__version", column_name="qualification_version", readonly=True
        ),
        fields.Field(
            attribute="qualification__centre__centre_number",
            column_name="qualification_centre",
            readonly=True,
        ),
    )


def centre_field():
    return fields.Field(
        attribute="centre",
        column_name="centre",
        widget=ForeignKeyWidget(Centre, field="centre_number"),
    )


def unit_field(attribute="unit"):
    return fields.Field(
        attribute=attribute, column_name=attribute, widget=ForeignKeyWidget(Unit, field="slug")
    )


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
        # A spreadsheet gives an empty cell back as nothing at all; blank text is "".
        model = self._meta.model
        for key in list(row.keys()):
            column = next((f for f in model._meta.concrete_fields if f.name == key), None)
            if (
                row[key] is None
                and column is not None
                and column.get_internal_type() in ("CharField", "TextField", "SlugField")
                and not column.null
            ):
                row[key] = ""
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
    centre = centre_field()
    grading = fields.Field(attribute="grading", column_name="grading", widget=GradingWidget())

    class Meta:
        model = Qualification
        import_id_fields = ["number", "version", "centre"]
        fields = [
            "number",
            "version",
            "centre",
            "title",
            "awarding_body",
            "level",
            "min_credits",
            "min_credits_at_level",
            "at_level",
            "grading",
            "notes",
        ]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True


class UnitGroupResource(CatalogueResource):
    qualification, qualification_version, qualification_centre = qualification_fields()
    mandatory = fields.Field(attribute="is_mandatory", column_name="mandatory")

    class Meta:
        model = UnitGroup
        import_id_fields = ["qualification", "name"]
        fields = [
            "qualification",
            "qualification_version",
            "qualification_centre",
            "name",
            "mandatory",
            "min_units",
            "max_units",
            "min_credits",
            "max_credits",
            "position",
        ]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True

    def get_queryset(self):
        return super().get_queryset().select_related("qualification__centre")


class UnitResource(CatalogueResource):
    centre = centre_field()
    evidence_methods = fields.Field(
        attribute="evidence_methods",
        column_name="evidence_methods",
        widget=ManyToManyWidget(EvidenceMethod, field="slug"),
    )

    class Meta:
        model = Unit
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "lineage",
            "version",
            "centre",
            "code",
            "title",
            "title_is_provisional",
            "needs_code",
            "level",
            "credit_value",
            "glh",
            "tqt",
            "assessment_guidance",
            "additional_information",
            "notes",
            "evidence_methods",
        ]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True

    def get_queryset(self):
        return super().get_queryset().select_related("centre").prefetch_related("evidence_methods")


class UnitCodeResource(CatalogueResource):
    """A unit's other codes (`other_codes` in the structure document)."""

    unit = unit_field()

    class Meta:
        model = UnitCode
        import_id_fields = ["unit", "scheme"]
        fields = ["unit", "scheme", "code"]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True


class QualificationUnitResource(CatalogueResource):
    """A unit's place in a qualification: its group and position."""

    qualification, qualification_version, qualification_centre = qualification_fields()
    unit = unit_field()
    group = fields.Field(column_name="group")

    class Meta:
        model = QualificationUnit
        import_id_fields = ["qualification", "unit"]
        fields = [
            "qualification",
            "qualification_version",
            "qualification_centre",
            "unit",
            "group",
            "position",
        ]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True

    def get_queryset(self):
        return super().get_queryset().select_related("qualification__centre", "unit", "group")

    def dehydrate_group(self, link):
        return link.group.name

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # The row names the group by name within the qualification; an unknown one fails.
        instance.group = UnitGroup.objects.get(
            qualification=instance.qualification, name=str(row["group"]).strip()
        )


class BarredCombinationResource(CatalogueResource):
    """A rule of combination: a learner taking `unit` may not also take `barred`."""

    qualification, qualification_version, qualification_centre = qualification_fields()
    unit = unit_field()
    barred = unit_field("barred")

    class Meta:
        model = BarredCombination
        import_id_fields = ["qualification", "unit", "barred"]
        fields = [
            "qualification",
            "qualification_version",
            "qualification_centre",
            "unit",
            "barred",
        ]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True

    def get_queryset(self):
        return super().get_queryset().select_related("qualification__centre", "unit", "barred")


class LearningOutcomeResource(CatalogueResource):
    unit = unit_field()

    class Meta:
        model = LearningOutcome
        import_id_fields = ["unit", "number"]
        fields = ["unit", "number", "title", "kind", "guidance", "content", "evidence_guidance"]
        skip_unchanged = True
        use_transactions = True
        clean_model_instances = True


class AssessmentCriterionResource(CatalogueResource):
    unit = unit_field()
    outcome = fields.Field(column_name="outcome")

    class Meta:
        model = AssessmentCriterion
        import_id_fields = ["unit", "number"]
        fields = ["unit", "outcome", "number", "label", "grade", "text", "guidance"]
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
