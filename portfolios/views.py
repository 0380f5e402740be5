from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.selectors import get_centre_for_user
from portfolios import permissions, selectors, services
from portfolios.enums import DECLARATION_TEXT, EvidenceState
from portfolios.filters import EnrolmentFilter
from portfolios.forms import (
    EnrolmentEditForm,
    EnrolmentForm,
    EvidenceForm,
    MappingForm,
    ProgrammeForm,
    SubmitForm,
    UnitReasonForm,
)
from portfolios.record import units_holding_work
from portfolios.uploads import open_stored
from portfolios.validators import PREVIEW_KINDS
from qualifications.models import Qualification

# Served files may be anything a learner uploaded: never let a browser run or sniff them.
SANDBOX_CSP = "sandbox; default-src 'none'"
ENROLMENTS_PER_PAGE = 50


def _is_xhr(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


def _posted(request):
    """The form data of a POST, even an empty one (an empty POST must fail validation, not be
    shown as a fresh form); None for a GET."""
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# ---------------------------------------------------------------- enrolments


@login_required
def enrolment_list(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk)
    if not permissions.can_list_enrolments(request.user, centre):
        raise PermissionDenied("Your role here does not include learners' portfolios.")
    visible = selectors.enrolments_visible_to(request.user, centre)
    found = EnrolmentFilter(
        request.GET,
        queryset=visible,
        qualifications=Qualification.objects.filter(enrolments__centre=centre).distinct(),
        tutors=User.objects.filter(tutored_enrolments__in=visible).distinct(),
    )
    page = Paginator(found.qs, ENROLMENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portfolios/enrolment_list.html",
        {
            "centre": centre,
            "filter": found,
            "page": page,
            "enrolments": page.object_list,
            "query": query.urlencode(),
            "can_enrol": permissions.can_enrol(request.user, centre),
        },
    )


@login_required
def enrolment_create(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk, manage=True)
    programme = ProgrammeForm(request.GET or None)
    if not programme.is_valid():
        return render(
            request, "portfolios/enrolment_programme.html", {"centre": centre, "form": programme}
        )
    qualification = programme.cleaned_data["qualification"]
    unit = programme.cleaned_data["unit"]
    form = EnrolmentForm(_posted(request), centre=centre, qualification=qualification, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrolment = services.enrolment_create(
                centre=centre,
                learner=data["learner"],
                tutor=data["tutor"],
                qualification=qualification,
                units=list(data["units"]),
                registration_number=data["registration_number"],
                start_date=data["start_date"],
                planned_end_date=data["planned_end_date"],
                by=request.user,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"{enrolment.learner} is enrolled.")
            for note in form.combination_notes:
                messages.warning(request, note)
            return redirect(enrolment)
    return render(
        request,
        "portfolios/enrolment_form.html",
        {
            "centre": centre,
            "form": form,
            "qualification": qualification,
            "short_course_unit": unit,
            "creating": True,
        },
        status=400 if form.errors else 200,
    )


@login_required
def enrolment_update(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="manage")
    initial = {
        "tutor": enrolment.tutor_id,
        "registration_number": enrolment.registration_number,
        "start_date": enrolment.start_date,
        "planned_end_date": enrolment.planned_end_date,
        "status": enrolment.status,
    }
    units = selectors.enrolment_units(enrolment)
    initial["units"] = [u.pk for u in units]
    form = EnrolmentEditForm(
        _posted(request),
        enrolment=enrolment,
        initial=initial,
        centre=enrolment.centre,
        qualification=enrolment.qualification,
        unit=None if enrolment.qualification_id else units[0],
        withdrawn_units=[row.unit for row in selectors.withdrawn_units(enrolment)],
        busy_unit_ids=units_holding_work(enrolment),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.enrolment_update(
                enrolment=enrolment,
                tutor=data["tutor"],
                units=list(data["units"]),
                registration_number=data["registration_number"],
                start_date=data["start_date"],
                planned_end_date=data["planned_end_date"],
                status=data["status"],
                by=request.user,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "The enrolment is updated.")
            for note in form.combination_notes:
                messages.warning(request, note)
            return redirect(enrolment)
    return render(
        request,
        "portfolios/enrolment_form.html",
        {
            "centre": enrolment.centre,
            "enrolment": enrolment,
            "form": form,
            "qualification": enrolment.qualification,
            "short_course_unit": None if enrolment.qualification_id else units[0],
            "creating": False,
        },
        status=400 if form.errors else 200,
    )


@login_required
def portfolio(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk)
    return render(
        request,
        "portfolios/portfolio.html",
        {
            "enrolment": enrolment,
            "portfolio": selectors.portfolio_for(enrolment),
            "can_add": permissions.can_add_evidence(request.user, enrolment),
            "can_submit": permissions.can_submit_for_enrolment(request.user, enrolment),
            "can_manage": permissions.can_manage_enrolment(request.user, enrolment),
            "withdrawn_units": selectors.withdrawn_units(enrolment),
            "history": selectors.enrolment_history(enrolment),
        },
    )


def _unit_reason_page(request, pk, unit_pk, *, withdraw: bool):
    enrolment, row = selectors.enrolment_unit_for_manager(request.user, pk, unit_pk)
    form = UnitReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        change = services.enrolment_unit_withdraw if withdraw else services.enrolment_unit_restore
        try:
            change(
                enrolment=enrolment,
                unit=row.unit,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            verb = "withdrawn; its work stays in the record" if withdraw else "restored"
            messages.success(request, f"{row.unit} is {verb}.")
            return redirect(enrolment)
    return render(
        request,
        "portfolios/enrolment_unit_reason.html",
        {
            "enrolment": enrolment,
            "row": row,
            "form": form,
            "withdraw": withdraw,
            "holds_work": bool(units_holding_work(enrolment, [row.unit_id])),
        },
        status=400 if form.errors else 200,
    )


@login_required
def enrolment_unit_withdraw(request, pk, unit_pk):
    """Withdraw a unit from the enrolment, with a reason (its work stays in the record)."""
    return _unit_reason_page(request, pk, unit_pk, withdraw=True)


@login_required
def enrolment_unit_restore(request, pk, unit_pk):
    return _unit_reason_page(request, pk, unit_pk, withdraw=False)


# ---------------------------------------------------------------- evidence


@login_required
def evidence_list(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk)
    items = list(selectors.evidence_for_enrolment(enrolment))
    return render(
        request,
        "portfolios/evidence_list.html",
        {
            "enrolment": enrolment,
            "items": items,
            "can_add": permissions.can_add_evidence(request.user, enrolment),
            "can_submit": permissions.can_submit_for_enrolment(request.user, enrolment),
            "EvidenceState": EvidenceState,
        },
    )


def _evidence_form_response(request, template, context, form, *, success_url=None):
    """The page, or for the upload script a small JSON answer / the page with its errors."""
    if success_url is not None:
        if _is_xhr(request):
            return JsonResponse({"redirect": success_url})
        return redirect(success_url)
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


@login_required
def evidence_create(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="add_evidence")
    supersedes = None
    corrects = request.GET.get("corrects")
    if corrects:
        if not corrects.isdigit():
            raise Http404("No such evidence.")
        supersedes = selectors.get_evidence_for_user(request.user, int(corrects), action="correct")
        if supersedes.enrolment_id != enrolment.pk:
            raise Http404("No such evidence in this portfolio.")
        if selectors.superseding(supersedes) is not None:
            messages.error(request, f"{supersedes.reference} has already been corrected.")
            return redirect(supersedes)
    initial = {}
    if supersedes is not None:
        initial = {
            "title": supersedes.title,
            "method": supersedes.method_id,
            "description": supersedes.description,
            "text": supersedes.text,
            "workplace_location": supersedes.workplace_location,
        }
    form = EvidenceForm(
        _posted(request),
        _files(request),
        initial=initial,
        enrolment=enrolment,
        user=request.user,
    )
    success_url = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evidence = services.evidence_create(
                enrolment=enrolment,
                by=request.user,
                title=data["title"],
                method=data["method"],
                date=data["date"],
                description=data["description"],
                text=data["text"],
                workplace_location=data["workplace_location"],
                files=data["files"],
                supersedes=supersedes,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                f"{evidence.reference} {evidence.title} is saved"
                + (f" with {len(data['files'])} file(s)" if data["files"] else "")
                + ". Now tick the criteria it covers.",
            )
            success_url = reverse("evidence_map", args=[evidence.pk])
    return _evidence_form_response(
        request,
        "portfolios/evidence_form.html",
        {"enrolment": enrolment, "supersedes": supersedes, "evidence": None},
        form,
        success_url=success_url,
    )


@login_required
def evidence_update(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="edit")
    initial = {
        "title": evidence.title,
        "method": evidence.method_id,
        "date": evidence.date,
        "description": evidence.description,
        "text": evidence.text,
        "workplace_location": evidence.workplace_location,
    }
    form = EvidenceForm(
        _posted(request),
        _files(request),
        initial=initial,
        enrolment=evidence.enrolment,
        user=request.user,
        evidence=evidence,
    )
    success_url = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.evidence_update(
                evidence=evidence,
                by=request.user,
                title=data["title"],
                method=data["method"],
                date=data["date"],
                description=data["description"],
                text=data["text"],
                workplace_location=data["workplace_location"],
                new_files=data["files"],
                remove_file_ids=[f.pk for f in data.get("remove_files") or []],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"{evidence.reference} is saved.")
            success_url = evidence.get_absolute_url()
    return _evidence_form_response(
        request,
        "portfolios/evidence_form.html",
        {"enrolment": evidence.enrolment, "supersedes": None, "evidence": evidence},
        form,
        success_url=success_url,
    )


@login_required
def evidence_detail(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk)
    files = list(evidence.files.all())
    for f in files:
        f.preview_kind = PREVIEW_KINDS.get(f.content_type)
    superseded_by = selectors.superseding(evidence)
    user = request.user
    return render(
        request,
        "portfolios/evidence_detail.html",
        {
            "evidence": evidence,
            "enrolment": evidence.enrolment,
            "state": evidence.state,
            "files": files,
            "criteria": selectors.mapped_criteria(evidence),
            "superseded_by": superseded_by,
            "can_edit": permissions.can_edit_evidence(user, evidence),
            "can_delete": permissions.can_delete_evidence(user, evidence),
            "can_submit": permissions.can_submit_evidence(user, evidence),
            "can_correct": permissions.can_correct_evidence(user, evidence)
            and superseded_by is None,
        },
    )


@login_required
def evidence_map(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="edit")
    enrolment = evidence.enrolment
    current = set(evidence.links.values_list("criterion_id", flat=True))
    form = MappingForm(_posted(request), enrolment=enrolment)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_set_criteria(
                evidence=evidence, by=request.user, criteria=form.cleaned_data["criteria"]
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            count = len(form.cleaned_data["criteria"])
            messages.success(
                request,
                f"{evidence.reference} is linked to {count} criteri{'on' if count == 1 else 'a'}.",
            )
            return redirect(evidence)
    if form.is_bound:
        current = {int(v) for v in form["criteria"].value() or [] if str(v).isdigit()}
    return render(
        request,
        "portfolios/evidence_map.html",
        {
            "evidence": evidence,
            "enrolment": enrolment,
            "form": form,
            "picker": selectors.mapping_picker(enrolment),
            "checked": current,
        },
        status=400 if form.errors else 200,
    )


def _submit(request, *, enrolment, drafts, initial, back_url):
    form = SubmitForm(_posted(request), drafts=drafts, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.evidence_submit(
                items=list(form.cleaned_data["evidence"]),
                by=request.user,
                declaration_confirmed=form.cleaned_data["confirm"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request, f"{count} item{'s' if count != 1 else ''} submitted for assessment."
            )
            return redirect(enrolment)
    return render(
        request,
        "portfolios/submit.html",
        {
            "enrolment": enrolment,
            "form": form,
            "declaration": DECLARATION_TEXT,
            "back_url": back_url,
            "has_drafts": drafts.exists(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def enrolment_submit(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="submit")
    drafts = enrolment.evidence.drafts().with_counts().order_by("number")
    ready = [e.pk for e in drafts if e.criterion_count]
    return _submit(
        request,
        enrolment=enrolment,
        drafts=drafts,
        initial={"evidence": ready},
        back_url=enrolment.get_absolute_url(),
    )


@login_required
def evidence_submit(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="submit")
    enrolment = evidence.enrolment
    drafts = enrolment.evidence.drafts().with_counts().filter(pk=evidence.pk)
    return _submit(
        request,
        enrolment=enrolment,
        drafts=drafts,
        initial={"evidence": [evidence.pk]},
        back_url=evidence.get_absolute_url(),
    )


@require_POST
@login_required
def evidence_delete(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="delete")
    enrolment = evidence.enrolment
    try:
        services.evidence_delete(evidence=evidence, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(evidence)
    messages.success(request, f"{evidence.reference} {evidence.title} is deleted.")
    return redirect("evidence_list", pk=enrolment.pk)


# ---------------------------------------------------------------- files


def _file_response(evidence_file, *, inline: bool, csp: str = SANDBOX_CSP):
    try:
        handle = open_stored(evidence_file.file.name)
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=evidence_file.name,
        content_type=evidence_file.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    return response


@require_GET
@never_cache
@login_required
def evidence_file_download(request, pk):
    evidence_file = selectors.get_evidence_file_for_user(request.user, pk)
    return _file_response(evidence_file, inline=False)


@require_GET
@never_cache
@xframe_options_sameorigin
@login_required
def evidence_file_preview(request, pk):
    """Shown inside the evidence page: images, PDFs, audio and video only."""
    evidence_file = selectors.get_evidence_file_for_user(request.user, pk)
    if evidence_file.content_type not in PREVIEW_KINDS:
        raise Http404("This kind of file has no preview; download it instead.")
    # Framed by our own pages only (the PDF viewer); still sandboxed like a download.
    return _file_response(evidence_file, inline=True, csp=f"{SANDBOX_CSP}; frame-ancestors 'self'")
