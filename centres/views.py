from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.enums import Role
from accounts.filters import PeopleFilter
from accounts.forms import CentreTwoFactorForm, PersonForm, RoleChangeForm
from accounts.selectors import get_centre_for_user, get_invitation_for_user
from accounts.services import invitations_pending_for
from accounts.twofactor import centre_two_factor_set
from centres import selectors
from centres.exports import EXPORT_FORMATS
from centres.exports import progress_export as progress_export_file
from centres.forms import IntakeUploadForm, VersionMoveForm
from centres.intake import IntakeFileError, read_rows
from centres.models import IntakeUpload
from centres.services import intake_import, intake_preview, invitation_accept
from portfolios import moves


@login_required
def intake_upload(request, pk):
    """Upload a class list; every row is tried in a dry run and nothing is saved yet."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    form = IntakeUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored, result = intake_preview(
                centre=centre, file_name=upload.name, content=upload.read(), by=request.user
            )
        except IntakeFileError as error:
            form.add_error("file", str(error))
        else:
            context = {"centre": centre, "upload": stored, "result": result}
            return render(request, "centres/intake_preview.html", context)
    return render(
        request,
        "centres/intake_upload.html",
        {"centre": centre, "form": form, "recent": selectors.recent_intakes(centre)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def intake_confirm(request, pk, upload_pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    upload = get_object_or_404(IntakeUpload, pk=upload_pk, centre=centre)
    if upload.imported_at:
        messages.info(request, f"{upload.file_name} was imported already: {upload.summary}")
        return redirect("centre_dashboard", pk=centre.pk)
    rows = read_rows(upload.file_name, bytes(upload.content))
    result = intake_import(
        upload=upload,
        rows=rows,
        by=request.user,
        commit=True,
        base_url=request.build_absolute_uri("/"),
    )
    if not result.saved:
        # Something changed between the preview and now (e.g. a tutor was deactivated).
        return render(
            request,
            "centres/intake_preview.html",
            {"centre": centre, "upload": upload, "result": result},
            status=400,
        )
    messages.success(
        request,
        f"Imported {upload.file_name}: {result.summary()}. "
        f"{len(result.invited) + len(result.invitations)} invitation(s) sent.",
    )
    return redirect("centre_dashboard", pk=centre.pk)


@login_required
def progress_export(request, pk, fmt):
    """Every learner's progress per unit, as CSV or XLSX (cells escaped against formulas)."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such format.")
    export = progress_export_file(centre, fmt)
    # The CSV is written as it is read, a chunk of learners at a time.
    response_class = StreamingHttpResponse if export.streaming else HttpResponse
    response = response_class(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Audit-Chain-Head"] = export.head
    return response


@login_required
def invitation_list(request):
    """The signed-in person's invitations from centres: accept one to take its roles."""
    return render(
        request,
        "centres/invitation_list.html",
        {"invitations": list(invitations_pending_for(request.user))},
    )


@login_required
@require_POST
def invitation_accept_view(request, pk):
    invitation = get_invitation_for_user(request.user, pk)
    try:
        accepted = invitation_accept(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("invitation_list")
    roles = ", ".join(m.get_role_display().lower() for m in accepted.memberships)
    messages.success(request, f"You are now {roles} at {invitation.centre.name}.")
    for problem in accepted.problems:
        messages.warning(request, problem)
    return redirect("dashboard")


# ---------------------------------------------------------------- the centre's people

PEOPLE_PER_PAGE = 50


@login_required
def centre_detail(request, pk):
    """The centre's people: filter by name, role and status; sort; one page at a time."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    people = PeopleFilter(request.GET, queryset=selectors.people_of(centre), centre=centre)
    page = Paginator(people.qs, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/centre_detail.html",
        {
            "centre": centre,
            "filter": people,
            "page": page,
            "query": query.urlencode(),
            "two_factor_form": CentreTwoFactorForm(
                initial={"required": centre.staff_two_factor_required}
            ),
        },
    )


@login_required
@require_POST
def centre_two_factor(request, pk):
    """The centre's rule: its staff must (or need not) sign in with a second factor."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    form = CentreTwoFactorForm(request.POST)
    if form.is_valid():
        try:
            centre = centre_two_factor_set(centre=centre, by=request.user, **form.service_kwargs())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                "Staff here must now sign in with a second factor."
                if centre.staff_two_factor_required
                else "Staff here no longer need a second factor.",
            )
    return redirect("centre_detail", pk=centre.pk)


@login_required
def person_add(request, pk):
    """Add a person, or invite an account that exists elsewhere. The answer is the same
    redirect and the same message either way, so no account's existence is revealed."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = account_services.person_add(
                centre=centre,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                roles=data["roles"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _send_invitation_mail(
                request, centre, added, send_password_link=data["send_invitation"]
            )
            messages.success(
                request, account_services.person_add_message(email=data["email"], centre=centre)
            )
            return redirect("centre_detail", pk=centre.pk)
    return render(request, "accounts/person_add.html", {"centre": centre, "form": form})


def _send_invitation_mail(request, centre, added, *, send_password_link: bool) -> None:
    base_url = request.build_absolute_uri("/")
    if added.invitation is not None:
        account_services.invitation_notice_send(invitation=added.invitation, base_url=base_url)
    elif added.created and send_password_link:
        account_services.invitation_send(person=added.person, centre=centre, base_url=base_url)


@login_required
def person_detail(request, pk, person_pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    person = selectors.get_person_at(centre, person_pk)
    return render(request, "accounts/person_detail.html", selectors.person_page(centre, person))


@login_required
@require_POST
def person_role_change(request, pk, person_pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    person = selectors.get_person_at(centre, person_pk)
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role and whether to give or take it.")
    else:
        role, action = form.cleaned_data["role"], form.cleaned_data["action"]
        change = account_services.role_give if action == "give" else account_services.role_take
        try:
            change(centre=centre, person=person, role=role, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            verb = "is now" if action == "give" else "is no longer"
            messages.success(request, f"{person} {verb} {Role(role).label.lower()} here.")
    return redirect("person_detail", pk=centre.pk, person_pk=person.pk)


@login_required
@require_POST
def person_deactivate(request, pk, person_pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    person = selectors.get_person_at(centre, person_pk)
    try:
        ended = account_services.person_deactivate(centre=centre, person=person, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{person} is deactivated here ({ended} role(s) ended); their records stay."
        )
    return redirect("person_detail", pk=centre.pk, person_pk=person.pk)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@login_required
def version_move(request, pk, qualification_pk):
    """Move the centre's learners from one version of a qualification to another: the diff
    per unit, what will carry and what will be flagged per learner, then the move."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    qualification = selectors.get_qualification_for_centre(request.user, centre, qualification_pk)
    versions = moves.target_versions(qualification, request.user)
    choices = list(versions)
    enrolments = list(selectors.enrolments_on_versions(centre, qualification))
    chosen_to = request.POST.get("to") or request.GET.get("to")
    target = next((q for q in choices if str(q.pk) == chosen_to), choices[-1])
    form = VersionMoveForm(
        request.POST or None,
        versions=versions,
        enrolments=selectors.enrolments_on_versions(centre, qualification),
        initial={"to": target.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = moves.move_enrolments(**form.service_kwargs(), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            to = form.cleaned_data["to"]
            messages.success(
                request,
                f"Moved {_plural(result.moved, 'learner', 'learners')} to version "
                f"{to.version}: {_plural(result.carried, 'decision', 'decisions')} carried, "
                f"{_plural(result.flagged, 'criterion', 'criteria')} flagged for the tutor "
                f"to decide again, {_plural(result.units_kept, 'unit', 'units')} kept on "
                "the version it was assessed against.",
            )
            return redirect(
                f"{request.path}?to={to.pk}",
            )
    plan = moves.plan_moves([e for e in enrolments if e.qualification_id != target.pk], target)
    if request.method == "POST":
        chosen = {int(v) for v in request.POST.getlist("enrolments") if v.isdigit()}
    else:
        chosen = {p.enrolment.pk for p in plan.enrolments if not p.problem}
    return render(
        request,
        "centres/version_move.html",
        {
            "centre": centre,
            "qualification": qualification,
            "target": target,
            "versions": choices,
            "form": form,
            "plan": plan,
            "on_target": [e for e in enrolments if e.qualification_id == target.pk],
            "chosen": chosen,
        },
        status=400 if form.errors else 200,
    )
