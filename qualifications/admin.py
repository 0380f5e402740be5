from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, JSON, XLSX

from qualifications.models import (
    AssessmentCriterion,
    AwardingBody,
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
    LearningOutcomeResource,
    QualificationResource,
    UnitResource,
)


class CatalogueImportExportAdmin(ImportExportModelAdmin):
    formats = [CSV, XLSX, JSON]


@admin.register(AwardingBody)
class AwardingBodyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name"]
    search_fields = ["short_name", "name"]


@admin.register(EvidenceMethod)
class EvidenceMethodAdmin(admin.ModelAdmin):
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
