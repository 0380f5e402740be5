"""Printing: blank forms from the catalogue, a learner's filled-in checklists, cohort prints.

Every PDF view is a GET that checks access, asks a service for the bytes (cached when nothing
printed has changed) and sends them; nothing here is kept in the browser's cache.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import get_centre_for_user
from checklists import permissions, selectors, services, tasks
from checklists.bundle import build_bundle, bundle_filename
from checklists.forms import CohortPrintForm
from moderation import access as moderation_access
from portfolios import permissions as portfolio_permissions
from portfolios.downloads import stored_file_response
from portfolios.selectors import get_enrolment_for_user
from qualifications.selectors import get_qualification_for_user, get_unit_for_user


def _pdf_response(printed: services.PrintedChecklist) -> HttpResponse:
    # Inline, so the browser opens its viewer, ready to print; the name is kept for saving.
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, printed.filename)
    return response


def _with_extras(request) -> bool:
    """The unit assessment checklist's optional portfolio reference column and learner
    signature line (?extras=1): the awarding body's form has neither."""
    return request.GET.get("extras") == "1"


def _require_blank(user) -> None:
    if not permissions.can_print_blank(user):
        raise PermissionDenied("Sign in to print blank forms.")


@require_GET
@never_cache
@login_required
def blank_unit_checklist(request, slug, layout):
    _require_blank(request.user)
    unit = get_unit_for_user(request.user, slug)
    return _pdf_response(
        services.blank_checklist_print(layout=layout, unit=unit, with_extras=_with_extras(request))
    )


@require_GET
@never_cache
@login_required
def blank_qualification_checklist(request, pk, layout):
    _require_blank(request.user)
    qualification = get_qualification_for_user(request.user, pk)
    return _pdf_response(
        services.blank_checklist_print(
            layout=layout, qualification=qualification, with_extras=_with_extras(request)
        )
    )


@require_GET
@never_cache
@login_required
def enrolment_checklist(request, pk, layout):
    enrolment = get_enrolment_for_user(request.user, pk)
    return _pdf_response(
        services.enrolment_checklist_print(
            enrolment=enrolment, layout=layout, with_extras=_with_extras(request)
        )
    )


@require_GET
@never_cache
@login_required
def enrolment_checklist_units(request, pk, layout):
    """Every unit's tagged PDF in one ZIP: the accessible companion of the merged print."""
    enrolment = get_enrolment_for_user(request.user, pk)
    printed = services.enrolment_tagged_units(enrolment=enrolment, layout=layout)
    response = HttpResponse(printed.pdf, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, printed.filename)
    return response


@require_GET
@never_cache
@login_required
def enrolment_unit_checklist(request, pk, slug, layout):
    enrolment = get_enrolment_for_user(request.user, pk)
    unit = selectors.get_enrolment_unit(enrolment, slug)
    return _pdf_response(
        services.enrolment_checklist_print(
            enrolment=enrolment, layout=layout, unit=unit, with_extras=_with_extras(request)
        )
    )


@require_http_methods(["GET", "POST"])
@login_required
def cohort_print_list(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk, manage=True)
    form = CohortPrintForm(request.POST or None, centre=centre)
    if request.method == "POST" and form.is_valid():
        try:
            cohort_print = tasks.cohort_print_start(
                centre=centre,
                qualification=form.cleaned_data["qualification"],
                layout=form.cleaned_data["layout"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(cohort_print)
    return render(
        request,
        "checklists/cohort_print_list.html",
        {"centre": centre, "form": form, "prints": selectors.recent_cohort_prints(centre)},
        status=400 if form.errors else 200,
    )


@require_GET
@never_cache
@login_required
def cohort_print_detail(request, pk):
    """The print's page; htmx polls it for the progress fragment until the print finishes."""
    cohort_print = selectors.get_cohort_print_for_user(request.user, pk)
    template = (
        "checklists/_cohort_progress.html" if request.htmx else "checklists/cohort_print.html"
    )
    return render(request, template, {"cohort_print": cohort_print})


@require_GET
@never_cache
@login_required
def cohort_print_download(request, pk):
    cohort_print = selectors.get_cohort_print_for_user(request.user, pk)
    if not cohort_print.is_ready:
        raise Http404("This print is not ready.")
    return stored_file_response(
        cohort_print.pdf.name,
        filename=services.cohort_filename(cohort_print),
        content_type="application/pdf",
    )


# ---------------------------------------------------------------- the EQA bundle


@require_GET
@never_cache
@login_required
def eqa_bundle(request, pk):
    enrolment = moderation_access.get_enrolment_for_moderation(request.user, pk, action="bundle")
    spool = build_bundle(
        enrolment,
        by=request.user,
        unit_ids=portfolio_permissions.granted_unit_ids(request.user, enrolment),
    )
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=bundle_filename(enrolment),
        content_type="application/zip",
    )
    return response
