from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
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
from qualifications.versions import in_use

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


def _version_of(obj):
    """The unit or qualification version a catalogue row belongs to (None: it stands alone)."""
    if isinstance(obj, Unit | Qualification):
        return obj
    for name in ("qualification", "unit"):
        if getattr(obj, f"{name}_id", None):
            return getattr(obj, name)
    if isinstance(obj, AssessmentCriterion) and obj.outcome_id:
        return obj.outcome.unit  # a new criterion takes its unit from its outcome on save
    return None


def frozen(obj) -> bool:
    """Whether this row is part of a version that enrolments use: then it never changes."""
    version = _version_of(obj) if obj is not None else None
    return version is not None and version.pk is not None and in_use(version)


def frozen_message(obj) -> str:
    version = _version_of(obj)
    kind = version._meta.verbose_name
    return (
        f"{kind.capitalize()} {version} is version {version.version}, and enrolments use it: "
        "it cannot be changed or deleted. Import the changed specification (or copy it) to "
        f"make version {version.version + 1}; learners move to it when a centre admin moves them."
    )


class VersionLockedAdmin:
    """A version that any enrolment uses is shown, never changed or deleted, here."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not frozen(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if frozen(obj) and request.method == "GET":
            self.message_user(request, frozen_message(obj), messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # The add form has no object to refuse beforehand: a row added to a version in use.
        if frozen(obj):
            raise PermissionDenied(frozen_message(obj))
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        locked = [obj for obj in queryset if frozen(obj)]
        if locked:
            for obj in locked:
                self.message_user(request, frozen_message(obj), messages.ERROR)
            queryset = queryset.exclude(pk__in=[obj.pk for obj in locked])
        super().delete_queryset(request, queryset)


class VersionLockedInline:
    """An inline row of an in-use version (its parent) cannot be added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not frozen(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not frozen(obj)


class CatalogueImportExportAdmin(VersionLockedAdmin, ImportExportModelAdmin, AuditedCatalogueAdmin):
    formats = [CSV, XLSX, JSON]

    def process_dataset(self, dataset, form, request, **kwargs):
        """An import and its audit entries commit together, or not at all; an import that
        would change a version in use is undone whole."""
        with transaction.atomic():
            result = super().process_dataset(dataset, form, request, **kwargs)
            locked = [
                row.instance
                for row in result
                if row.instance is not None
                and row.import_type in AUDITED_ROWS
                and frozen(row.instance)
            ]
            if locked:
                transaction.set_rollback(True)
                result.frozen = sorted({frozen_message(obj) for obj in locked})
                return result
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

    def process_result(self, result, request):
        if getattr(result, "frozen", None):
            for message in result.frozen:
                self.message_user(request, f"Nothing was imported. {message}", messages.ERROR)
            info = self.model._meta.app_label, self.model._meta.model_name
            return redirect(f"admin:{info[0]}_{info[1]}_changelist")
        return super().process_result(result, request)


@admin.register(AwardingBody)
class AwardingBodyAdmin(AuditedCatalogueAdmin):
    list_display = ["short_name", "name"]
    search_fields = ["short_name", "name"]


@admin.register(EvidenceMethod)
class EvidenceMethodAdmin(AuditedCatalogueAdmin):
    list_display = ["name", "slug", "position"]


class UnitGroupInline(VersionLockedInline, admin.TabularInline):
    model = UnitGroup
    extra = 0


class QualificationUnitInline(VersionLockedInline, admin.TabularInline):
    model = QualificationUnit
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Qualification)
class QualificationAdmin(CatalogueImportExportAdmin):
    resource_classes = [QualificationResource]
    list_display = ["number", "version", "centre", "title", "awarding_body", "level"]
    search_fields = ["number", "title"]
    inlines = [UnitGroupInline, QualificationUnitInline]


class UnitCodeInline(VersionLockedInline, admin.TabularInline):
    model = UnitCode
    extra = 0


@admin.register(Unit)
class UnitAdmin(CatalogueImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = [
        "code",
        "version",
        "centre",
        "title",
        "level",
        "credit_value",
        "glh",
        "needs_code",
    ]
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
