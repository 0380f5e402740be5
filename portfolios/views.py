from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from accounts import formflow
from accounts.models import User
from accounts.selectors import get_centre_for_user
from portfolios import moves, permissions, selectors, services
from portfolios.downloads import stored_file_response
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


def _saved_enrolment(request, form, change, done):
    """Save through `change`; on success also say which rules of combination could not be
    checked."""
    response = formflow.apply(request, form, change, done=done, then=lambda e: e.get_absolute_url())
    for note in form.combination_notes if response else ():
        messages.warning(request, note)
    return response


def _live_check(request, form):
    """The htmx live check of the unit choice: the running totals per group and the rules
    not met, for the units ticked now (nothing is saved)."""
    check = form.combination(request.GET.getlist("units"))
    return render(request, "portfolios/_unit_check.html", {"check": check})


def _checking(request) -> bool:
    return request.method == "GET" and "check" in request.GET


@login_required
def enrolment_create(request, centre_pk):
    centre = get_centre_for_user(request.user, centre_pk, manage=True)
    programme = ProgrammeForm(request.GET or None, centre=centre)
    if not programme.is_valid():
        return render(
            request, "portfolios/enrolment_programme.html", {"centre": centre, "form": programme}
        )
    qualification, unit = programme.cleaned_data["qualification"], programme.cleaned_data["unit"]
    form = EnrolmentForm(_posted(request), centre=centre, qualification=qualification, unit=unit)
    if _checking(request):
        return _live_check(request, form)
    response = formflow.posted(request, form) and _saved_enrolment(
        request,
        form,
        lambda: services.enrolment_create(centre=centre, by=request.user, **form.service_kwargs()),
        done=lambda enrolment: f"{enrolment.learner} is enrolled.",
    )
    context = {"centre": centre, "form": form, "qualification": qualification}
    context.update({"short_course_unit": unit, "creating": True, "check": form.combination()})
    context["check_url"] = request.get_full_path()
    return response or render(
        request, "portfolios/enrolment_form.html", context, status=formflow.form_status(form)
    )


@login_required
def enrolment_update(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="manage")
    units = selectors.enrolment_units(enrolment)
    form = EnrolmentEditForm.for_enrolment(
        _posted(request),
        enrolment=enrolment,
        units=units,
        withdrawn_units=[row.unit for row in selectors.withdrawn_units(enrolment)],
        busy_unit_ids=units_holding_work(enrolment),
    )
    if _checking(request):
        return _live_check(request, form)
    response = formflow.posted(request, form) and _saved_enrolment(
        request,
        form,
        lambda: services.enrolment_update(
            enrolment=enrolment, by=request.user, **form.service_kwargs()
        ),
        done=lambda _: "The enrolment is updated.",
    )
    context = {"centre": enrolment.centre, "enrolment": enrolment, "form": form}
    context.update({"qualification": enrolment.qualification, "creating": False})
    context.update({"check": form.combination(), "check_url": request.path})
    context["short_course_unit"] = None if enrolment.qualification_id else units[0]
    return response or render(
        request, "portfolios/enrolment_form.html", context, status=formflow.form_status(form)
    )


@login_required
def portfolio(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk)
    shown = selectors.portfolio_for(
        enrolment, drafts=permissions.sees_drafts(request.user, enrolment)
    )
    withdrawn = selectors.withdrawn_units(enrolment)
    units = [row.unit for row in shown.units] + [row.unit for row in withdrawn]
    version_moves = moves.move_history(enrolment)
    return render(
        request,
        "portfolios/portfolio.html",
        {
            "enrolment": enrolment,
            "portfolio": shown,
            "can_add": permissions.can_add_evidence(request.user, enrolment),
            "can_submit": permissions.can_submit_for_enrolment(request.user, enrolment),
            "can_manage": permissions.can_manage_enrolment(request.user, enrolment),
            "is_learner": permissions.is_enrolment_learner(request.user, enrolment),
            "withdrawn_units": withdrawn,
            "history": selectors.enrolment_history(enrolment),
            "combination": selectors.combination_for(enrolment, units=units),
            # Flags come only from moves: a learner never moved costs no query for them.
            "flags": moves.open_flags(enrolment) if version_moves else [],
            "moves": version_moves,
        },
    )


def _unit_reason_page(request, pk, unit_pk, *, withdraw: bool):
    enrolment, row = selectors.enrolment_unit_for_manager(request.user, pk, unit_pk)
    form = UnitReasonForm(_posted(request))
    change = services.enrolment_unit_withdraw if withdraw else services.enrolment_unit_restore
    verb = "withdrawn; its work stays in the record" if withdraw else "restored"
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: change(
            enrolment=enrolment, unit=row.unit, by=request.user, reason=form.cleaned_data["reason"]
        ),
        done=lambda _: f"{row.unit} is {verb}.",
        then=enrolment.get_absolute_url(),
    )
    holds_work = bool(units_holding_work(enrolment, [row.unit_id]))
    context = {"enrolment": enrolment, "row": row, "form": form, "withdraw": withdraw}
    return response or render(
        request,
        "portfolios/enrolment_unit_reason.html",
        {**context, "holds_work": holds_work},
        status=formflow.form_status(form),
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
    items = list(
        selectors.evidence_for_enrolment(
            enrolment, drafts=permissions.sees_drafts(request.user, enrolment)
        )
    )
    return render(
        request,
        "portfolios/evidence_list.html",
        {
            "enrolment": enrolment,
            "items": items,
            "can_add": permissions.can_add_evidence(request.user, enrolment),
            "can_submit": permissions.can_submit_for_enrolment(request.user, enrolment),
            "is_learner": permissions.is_enrolment_learner(request.user, enrolment),
            "EvidenceState": EvidenceState,
        },
    )


def _evidence_form_response(request, template, context, done):
    """After a save (`done`, a redirect), the upload script gets a small JSON answer instead;
    otherwise the page, with its errors."""
    if done:
        if _is_xhr(request):
            return JsonResponse({"redirect": done.url})
        return done
    return render(request, template, context, status=formflow.form_status(context["form"]))


def _correcting(request, enrolment):
    """The submitted item a new one corrects (`?corrects=<id>`), or None."""
    corrects = request.GET.get("corrects")
    if not corrects:
        return None
    if not corrects.isdigit():
        raise Http404("No such evidence.")
    return selectors.get_correctable_evidence(request.user, enrolment, int(corrects))


def _saved(evidence, files) -> str:
    with_files = f" with {len(files)} file(s)" if files else ""
    return (
        f"{evidence.reference} {evidence.title} is saved{with_files}. "
        "Now tick the criteria it covers."
    )


@login_required
def evidence_create(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="add_evidence")
    supersedes = _correcting(request, enrolment)
    initial = EvidenceForm.initial_from(supersedes, with_date=False)
    if supersedes is None:
        # Opened from a criterion ("Add evidence" beside it): the item starts mapped to it.
        initial["criteria"] = request.GET.getlist("criterion")
    form = EvidenceForm(
        _posted(request),
        _files(request),
        initial=initial,
        enrolment=enrolment,
        user=request.user,
    )
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: services.evidence_create(
            enrolment=enrolment, by=request.user, supersedes=supersedes, **form.service_kwargs()
        ),
        done=lambda evidence: _saved_and_tidied(form, evidence),
        then=lambda evidence: reverse("evidence_map", args=[evidence.pk]),
    )
    return _evidence_form_response(
        request,
        "portfolios/evidence_form.html",
        {"enrolment": enrolment, "supersedes": supersedes, "evidence": None, "form": form},
        response,
    )


def _saved_and_tidied(form, evidence) -> str:
    form.discard_resumed()
    return _saved(evidence, form.cleaned_data["files"])


@login_required
def evidence_update(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="edit")
    form = EvidenceForm(
        _posted(request),
        _files(request),
        initial=EvidenceForm.initial_from(evidence),
        enrolment=evidence.enrolment,
        user=request.user,
        evidence=evidence,
    )
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: services.evidence_update(
            evidence=evidence, by=request.user, **form.update_kwargs()
        ),
        done=lambda _: form.discard_resumed() or f"{evidence.reference} is saved.",
        then=evidence.get_absolute_url(),
    )
    return _evidence_form_response(
        request,
        "portfolios/evidence_form.html",
        {"enrolment": evidence.enrolment, "supersedes": None, "evidence": evidence, "form": form},
        response,
    )


@login_required
def evidence_detail(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk)
    return render(
        request,
        "portfolios/evidence_detail.html",
        selectors.evidence_page(request.user, evidence),
    )


@login_required
def evidence_map(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="edit")
    form = MappingForm(_posted(request), evidence=evidence)
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: services.evidence_set_criteria(
            evidence=evidence, by=request.user, criteria=form.cleaned_data["criteria"]
        ),
        done=lambda _: _linked(evidence, len(form.cleaned_data["criteria"])),
        then=evidence.get_absolute_url(),
    )
    if response:
        return response
    picker = selectors.mapping_picker(evidence)
    context = {"evidence": evidence, "enrolment": evidence.enrolment, "form": form}
    context.update({"picker": picker, "checked": form.checked(evidence)})
    return render(
        request, "portfolios/evidence_map.html", context, status=formflow.form_status(form)
    )


def _linked(evidence, count: int) -> str:
    return f"{evidence.reference} is linked to {count} criteri{'on' if count == 1 else 'a'}."


def _submit(request, *, enrolment, drafts, initial, back_url):
    form = SubmitForm(_posted(request), drafts=drafts, initial=initial)
    response = formflow.posted(request, form) and formflow.apply(
        request,
        form,
        lambda: services.evidence_submit(by=request.user, **form.service_kwargs()),
        done=lambda count: f"{count} item{'s' if count != 1 else ''} submitted for assessment.",
        then=enrolment.get_absolute_url(),
    )
    context = {"enrolment": enrolment, "form": form, "declaration": DECLARATION_TEXT}
    context.update({"back_url": back_url, "has_drafts": bool(drafts)})
    return response or render(
        request, "portfolios/submit.html", context, status=formflow.form_status(form)
    )


@login_required
def enrolment_submit(request, pk):
    enrolment = selectors.get_enrolment_for_user(request.user, pk, action="submit")
    drafts = selectors.drafts_of(enrolment)
    # Every draft is ticked: one that covers no criterion is refused by name, never quietly
    # left behind while the rest go.
    return _submit(
        request,
        enrolment=enrolment,
        drafts=drafts,
        initial={"evidence": [e.pk for e in drafts]},
        back_url=enrolment.get_absolute_url(),
    )


@login_required
def evidence_submit(request, pk):
    evidence = selectors.get_evidence_for_user(request.user, pk, action="submit")
    enrolment = evidence.enrolment
    drafts = selectors.drafts_of(enrolment, only=evidence)
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


def _file_response(request, evidence_file, *, inline: bool, csp: str = SANDBOX_CSP):
    response = stored_file_response(
        evidence_file.file.name,
        as_attachment=not inline,
        filename=evidence_file.name,
        content_type=evidence_file.content_type,
        request_headers=request.headers,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    return response


@require_GET
@never_cache
@login_required
def evidence_file_download(request, pk):
    evidence_file = selectors.get_evidence_file_for_user(request.user, pk)
    return _file_response(request, evidence_file, inline=False)


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
    return _file_response(
        request, evidence_file, inline=True, csp=f"{SANDBOX_CSP}; frame-ancestors 'self'"
    )
