from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.permissions import can_browse_catalogue
from qualifications import selectors
from qualifications.forms import (
    CatalogueSearchForm,
    CriterionRowFormSet,
    SpecSourceForm,
    StructureUploadForm,
    UnitDetailsForm,
    corrected_result,
    rows_posted,
    unit_forms_valid,
    units_to_correct,
)
from qualifications.importer import SpecParseError, parse_spec
from qualifications.importer.edits import unit_rows
from qualifications.ownership_forms import ImportOwnerForm
from qualifications.permissions import (
    is_staff,
    may_change,
    may_import,
    may_publish,
)
from qualifications.services import SpecImportError, spec_import, spec_plan
from qualifications.structure import StructureError, dumps, export_structure, import_structure


def _require(allowed: bool, message: str):
    if not allowed:
        raise PermissionDenied(message)


@login_required
def catalogue(request):
    _require(can_browse_catalogue(request.user), "Sign in to browse the catalogue.")
    form = CatalogueSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    owner = request.GET.get("owner", "")
    owner = owner if owner in selectors.OWNER_FILTERS else ""
    context = {"form": form, "query": query, "owner": owner}
    context["owner_filters"] = selectors.OWNER_FILTERS
    context["own_centre_ids"] = selectors.own_centre_ids(request.user)
    if query:
        context["results"] = selectors.search_units(query, request.user, owner)
    else:
        context["qualifications"] = selectors.qualifications_with_counts(request.user, owner)
        context["units"] = selectors.standalone_units(request.user, owner)
    context["can_import"] = may_import(request.user)
    context["can_grant_editors"] = is_staff(request.user)
    return render(request, "qualifications/catalogue.html", context)


@login_required
def qualification_detail(request, pk):
    _require(can_browse_catalogue(request.user), "Sign in to browse the catalogue.")
    qualification = selectors.get_qualification_for_user(request.user, pk)
    context = selectors.qualification_page(qualification)
    context["can_edit_rules"] = may_change(request.user, qualification)
    context["versions"] = selectors.qualification_versions_for(qualification, request.user)
    context["can_publish"] = qualification.centre_id is not None and may_publish(request.user)
    context["own_centre_ids"] = selectors.own_centre_ids(request.user)
    return render(request, "qualifications/qualification_detail.html", context)


@login_required
def unit_detail(request, slug):
    _require(can_browse_catalogue(request.user), "Sign in to browse the catalogue.")
    unit = selectors.unit_page(request.user, slug)
    context = {"unit": unit, "own_centre_ids": selectors.own_centre_ids(request.user)}
    context["versions"] = selectors.unit_versions_for(unit, request.user)
    context["can_publish"] = unit.centre_id is not None and may_publish(request.user)
    return render(request, "qualifications/unit_detail.html", context)


def _unit_forms(plans, data=None):
    """For each planned unit: the form for what the document left out, and its rows (None
    when the page cannot post them all; that unit is saved as read)."""
    correctable = units_to_correct([plan.parsed for plan in plans])
    forms = []
    for plan in plans:
        prefix = f"unit-{plan.index}"
        details = UnitDetailsForm(
            data,
            prefix=prefix,
            needs_title=plan.unit is None and not plan.parsed.title,
            initial={"title": plan.title, "code": plan.code, "level": plan.parsed.level},
        )
        # A confirmation that posts no rows keeps the reading as it is.
        posted = data is not None and f"{prefix}-rows-TOTAL_FORMS" in data
        rows = None
        if plan.index in correctable:
            rows = CriterionRowFormSet(
                data if posted else None, prefix=f"{prefix}-rows", initial=unit_rows(plan.parsed)
            )
        forms.append((plan, details, rows))
    return forms


def _read_source(request, owner):
    """(source text, parsed result, None), or (…, None, the page with what is wrong)."""
    form = None
    if "source_text" in request.POST:
        source_text = request.POST["source_text"]
    else:
        form = SpecSourceForm(request.POST, request.FILES)
        if not form.is_valid():
            context = {"form": form, "owner_form": owner}
            page = render(request, "qualifications/import.html", context, status=400)
            return "", None, page
        source_text = form.cleaned_data["source_text"]
    try:
        return source_text, parse_spec(source_text), None
    except SpecParseError as error:
        form = form or SpecSourceForm(initial={"text": source_text})
        form.add_error(None, f"Nothing was imported. {error}")
        context = {"form": form, "owner_form": owner}
        page = render(request, "qualifications/import.html", context, status=400)
        return source_text, None, page


def _save_import(request, result, unit_forms, centre):
    """Save the corrected reading; the saved catalogue page, or None with the reason said."""
    if result.doubts and not any(rows_posted(rows) for _, _, rows in unit_forms):
        messages.error(request, "Check the rows below before saving: the reading is in doubt.")
        return None
    if not unit_forms_valid(unit_forms):
        return None
    details = {plan.index: f.cleaned_data for plan, f, _ in unit_forms}
    try:
        report = spec_import(
            result=corrected_result(result, unit_forms),
            details=details,
            by=request.user,
            centre=centre,
        )
    except SpecImportError as error:
        messages.error(request, f"Nothing was imported. {error}")
        return None
    for warning in report.warnings[:20]:
        messages.warning(request, warning)
    names = ", ".join(
        f"{plan.saved} v{plan.saved.version} ({plan.status.replace('_', ' ')})"
        for plan in report.plans[:10]
    )
    messages.success(request, f"Imported {len(report.units)} unit(s): {names}")
    return redirect(report.qualification or report.units[0])


@login_required
def spec_import_view(request):
    """Paste or upload → preview of what was recognised, corrected by the admin → save, into
    the admin's centre's own catalogue (or, for staff and catalogue editors, the shared one)."""
    _require(
        may_import(request.user),
        "Only centre admins, catalogue editors and the site's staff import specifications.",
    )
    posted = request.POST if request.method == "POST" else None
    owner = ImportOwnerForm(posted, user=request.user)
    if posted is None:
        context = {"form": SpecSourceForm(), "owner_form": owner}
        return render(request, "qualifications/import.html", context)
    if not owner.is_valid():
        # A forged or stale choice of catalogue: nothing is read, nothing saved.
        context = {"form": SpecSourceForm(), "owner_form": owner}
        return render(request, "qualifications/import.html", context, status=400)
    centre = owner.centre()
    source_text, result, refused = _read_source(request, owner)
    if refused:
        return refused
    confirming = request.POST.get("confirm") == "1"
    preview = spec_plan(result=result, centre=centre)
    unit_forms = _unit_forms(preview.plans, request.POST if confirming else None)
    if confirming and (saved := _save_import(request, result, unit_forms, centre)):
        return saved
    context = {"result": result, "source_text": source_text, "units": unit_forms}
    context["warnings"] = preview.warnings
    context["qualification_plan"] = preview.qualification_plan
    context["criteria_total"] = sum(p.parsed.criteria_count for p in preview.plans)
    context["owner_form"] = owner
    return render(
        request, "qualifications/import_preview.html", context, status=400 if confirming else 200
    )


@login_required
@require_GET
def qualification_structure(request, pk):
    """The qualification version's whole structure as one JSON document, to download."""
    qualification = selectors.get_qualification_for_user(request.user, pk)
    response = HttpResponse(
        dumps(export_structure(qualification)), content_type="application/json; charset=utf-8"
    )
    name = f"{qualification.number.replace('/', '-')}-v{qualification.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def structure_import_view(request):
    """Upload a structure document → what it would do (a dry run) → confirm → saved."""
    _require(
        may_import(request.user),
        "Only centre admins and catalogue editors may import qualification structures.",
    )
    template = "qualifications/structure_import.html"
    if request.method != "POST":
        return render(request, template, {"form": StructureUploadForm(user=request.user)})
    form = StructureUploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    confirming = request.POST.get("confirm") == "1"
    try:
        report = import_structure(**form.service_kwargs(), by=request.user, dry_run=not confirming)
    except StructureError as error:
        form.add_error(None, f"Nothing was imported. {error}")
        return render(request, template, {"form": form}, status=400)
    if not confirming:
        context = {
            "report": report,
            "document_text": form.cleaned_data["text"],
            "catalogue": form.cleaned_data["catalogue"],
            "catalogue_label": dict(form.fields["catalogue"].choices)[
                form.cleaned_data["catalogue"]
            ],
        }
        return render(request, "qualifications/structure_preview.html", context)
    counts = ", ".join(f"{n} {a.replace('_', ' ')}" for a, n in sorted(report.counts().items()))
    messages.success(request, f"Structure imported: {counts}.")
    if report.qualification_pk:
        return redirect(reverse("qualification_detail", args=[report.qualification_pk]))
    return redirect("catalogue")
