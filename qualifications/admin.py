from django.contrib import admin
from django.db import transaction
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, JSON, XLSX
from import_export.results import RowResult

from audit.chain import audit_record
from audit.enums import AuditAction
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
from qualifications.resources import (
    AssessmentCriterionResource,
    BarredCombinationResource,
    LearningOutcomeResource,
    QualificationResource,
    QualificationUnitResource,
    UnitCodeResource,
    UnitGroupResource,
    UnitResource,
)

AUDITED_ROWS = {
    RowResult.IMPORT_TYPE_NEW,
    RowResult.IMPORT_TYPE_UPDATE,
    RowResult.IMPORT_TYPE_DELETE,
}


class AuditedCatalogueAdmin(admin.ModelAdmin):
    """The site's staff change the catalogue here; each change has its audit entry, written
    in the admin's own transaction."""

    def _audit(self, request, obj, summary, *, deleted=False, data=None):
        audit_record(
            action=AuditAction.CATALOGUE_CHANGED,
            actor=request.user,
            obj=obj,
            summary=f"{obj._meta.verbose_name} {obj} {summary} in the site admin",
            data=data,
            deleted=deleted,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._audit(
            request, obj, "changed" if change else "added", data={"fields": form.changed_data}
        )

    def save_formset(self, request, form, formset, change):
        deleted = list(getattr(formset, "deleted_objects", []))
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects + [o for o, _ in formset.changed_objects]:
            self._audit(request, obj, "saved")
        for obj in deleted:
            self._audit(request, obj, "deleted", deleted=True)

    def delete_model(self, request, obj):
        self._audit(request, obj, "deleted", deleted=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "deleted", deleted=True)
            super().delete_queryset(request, queryset)


class CatalogueImportExportAdmin(ImportExportModelAdmin, AuditedCatalogueAdmin):
    formats = [CSV, XLSX, JSON]

    def process_dataset(self, dataset, form, request, **kwargs):
        """An import and its audit entries commit together, or not at all."""
        with transaction.atomic():
            result = super().process_dataset(dataset, form, request, **kwargs)
            if not (result.has_errors() or result.has_validation_errors()):
                for row in result:
                    if row.instance is not None and row.import_type in AUDITED_ROWS:
                        self._audit(
                            request,
                            row.instance,
                            f"{row.import_type} by a spreadsheet import",
                            deleted=row.import_type == RowResult.IMPORT_TYPE_DELETE,
                        )
        return result


@admin.register(AwardingBody)
class AwardingBodyAdmin(AuditedCatalogueAdmin):
    list_display = ["short_name", "name"]
    search_fields = ["short_name", "name"]


@admin.register(EvidenceMethod)
class EvidenceMethodAdmin(AuditedCatalogueAdmin):
    list_display = ["name", "slug", "position"]


class UnitGroupInline(admin.TabularInline):
    model = UnitGroup
    extra = 0


class QualificationUnitInline(admin.TabularInline):
    model = QualificationUnit
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Qualification)
class QualificationAdmin(CatalogueImportExportAdmin):
    resource_classes = [QualificationResource]
    list_display = ["number", "title", "awarding_body", "level"]
    search_fields = ["number", "title"]
    inlines = [UnitGroupInline, QualificationUnitInline]


class UnitCodeInline(admin.TabularInline):
    model = UnitCode
    extra = 0


@admin.register(Unit)
class UnitAdmin(CatalogueImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = ["code", "title", "level", "credit_value", "glh", "needs_code"]
    list_filter = ["needs_code", "level"]
    search_fields = ["code", "title", "slug", "other_codes__code"]
    filter_horizontal = ["evidence_methods"]
    inlines = [UnitCodeInline]


@admin.register(LearningOutcome)
class LearningOutcomeAdmin(CatalogueImportExportAdmin):
    resource_classes = [LearningOutcomeResource]
    list_display = ["unit", "number", "title", "kind"]
    list_select_related = ["unit"]
    search_fields = ["unit__code", "title"]
    autocomplete_fields = ["unit"]


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(CatalogueImportExportAdmin):
    resource_classes = [AssessmentCriterionResource]
    list_display = ["unit", "number", "text"]
    list_select_related = ["unit"]
    search_fields = ["unit__code", "number", "text"]
    autocomplete_fields = ["outcome"]


# The rest of a qualification's structure, each with its spreadsheet import and export in the
# structure document's vocabulary (qualifications/resources.py).


@admin.register(UnitGroup)
class UnitGroupAdmin(CatalogueImportExportAdmin):
    resource_classes = [UnitGroupResource]
    list_display = ["qualification", "name", "is_mandatory", "min_units", "max_units"]
    list_select_related = ["qualification"]
    search_fields = ["qualification__number", "name"]


@admin.register(QualificationUnit)
class QualificationUnitAdmin(CatalogueImportExportAdmin):
    resource_classes = [QualificationUnitResource]
    list_display = ["qualification", "unit", "group", "position"]
    list_select_related = ["qualification", "unit", "group"]
    search_fields = ["qualification__number", "unit__code", "unit__title"]
    autocomplete_fields = ["unit"]


@admin.register(BarredCombination)
class BarredCombinationAdmin(CatalogueImportExportAdmin):
    resource_classes = [BarredCombinationResource]
    list_display = ["qualification", "unit", "barred"]
    list_select_related = ["qualification", "unit", "barred"]
    autocomplete_fields = ["unit", "barred"]


@admin.register(UnitCode)
class UnitCodeAdmin(CatalogueImportExportAdmin):
    resource_classes = [UnitCodeResource]
    list_display = ["unit", "scheme", "code"]
    list_select_related = ["unit"]
    search_fields = ["code", "unit__code"]
    autocomplete_fields = ["unit"]
