from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import get_centre_for_user, get_invitation_for_user
from accounts.services import invitations_pending_for
from centres.exports import EXPORT_FORMATS
from centres.exports import progress_export as progress_export_file
from centres.forms import IntakeUploadForm
from centres.intake import IntakeFileError, read_rows
from centres.models import IntakeUpload
from centres.services import intake_import, invitation_accept


@login_required
def intake_upload(request, pk):
    """Upload a class list; every row is tried in a dry run and nothing is saved yet."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    form = IntakeUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            rows = read_rows(upload.name, content)
        except IntakeFileError as error:
            form.add_error("file", str(error))
        else:
            stored = IntakeUpload.objects.create(
                centre=centre,
                file_name=upload.name[:255],
                content=content,
                uploaded_by=request.user,
            )
            result = intake_import(upload=stored, rows=rows, by=request.user, commit=False)
            return render(
                request,
                "centres/intake_preview.html",
                {"centre": centre, "upload": stored, "result": result},
            )
    recent = IntakeUpload.objects.filter(centre=centre, imported_at__isnull=False)[:5]
    return render(
        request,
        "centres/intake_upload.html",
        {"centre": centre, "form": form, "recent": recent},
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
    response = HttpResponse(export.content, content_type=export.content_type)
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
