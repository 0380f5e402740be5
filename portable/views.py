"""The centre admin's two pages: the export button on a learner's portfolio, and the import
page (upload a package, see what would arrive, confirm)."""

import datetime
import tempfile
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.selectors import get_centre_for_user
from portable.forms import PackageConfirmForm, PackageUploadForm
from portable.package import PackageRefused, open_package
from portable.plan import import_plan
from portable.services import package_filename, portfolio_export, portfolio_import
from portfolios.selectors import get_enrolment_for_user

# Packages waiting for the admin's confirmation, kept in storage (they hold personal data and
# may be large) under names only this session knows; one left unconfirmed for a day is deleted
# at the next upload.
PENDING = "portable/pending"
SESSION_KEY = "portable_pending"
PENDING_HOURS = 24


def _purge_pending() -> None:
    if not default_storage.exists(PENDING):
        return
    cutoff = timezone.now() - datetime.timedelta(hours=PENDING_HOURS)
    for name in default_storage.listdir(PENDING)[1]:
        path = f"{PENDING}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)


@login_required
@require_POST
def portfolio_export_view(request, pk):
    """The learner's whole record as a package: the centre's admins only."""
    enrolment = get_enrolment_for_user(request.user, pk, action="manage")
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    portfolio_export(enrolment=enrolment, by=request.user, target=target)
    target.seek(0)
    # Signed-in responses are sent with `Cache-Control: no-store` by the middleware.
    return FileResponse(target, as_attachment=True, filename=package_filename(enrolment))


def _pending_name(request, centre, token: str) -> str | None:
    name = request.session.get(SESSION_KEY, {}).get(token)
    if name and name == f"{PENDING}/{centre.pk}-{token}.zip":
        return name
    return None


def _forget(request, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    name = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if name:
        default_storage.delete(name)


@login_required
def portfolio_import_view(request, pk):
    """Upload a package (checked, nothing saved), see what would arrive, then confirm."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, centre)
    form = PackageUploadForm(request.POST or None, request.FILES or None, centre=centre)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["package"]
        try:
            with open_package(upload.file) as package:
                plan = import_plan(package=package, centre=centre)
        except PackageRefused as refused:
            problems = refused.problems
        else:
            problems = plan.problems
        if not problems:
            _purge_pending()
            token = uuid.uuid4().hex
            upload.seek(0)
            name = default_storage.save(f"{PENDING}/{centre.pk}-{token}.zip", upload)
            request.session[SESSION_KEY] = {**request.session.get(SESSION_KEY, {}), token: name}
            confirm = PackageConfirmForm(
                initial={"token": token, "tutor": form.cleaned_data["tutor"].pk}, centre=centre
            )
            context = {
                "centre": centre,
                "plan": plan,
                "tutor": form.cleaned_data["tutor"],
                "form": confirm,
            }
            return render(request, "portable/import_preview.html", context)
    return render(
        request,
        "portable/import.html",
        {"centre": centre, "form": form, "problems": problems},
        status=400 if (form.errors or problems) else 200,
    )


def _confirm(request, centre):
    form = PackageConfirmForm(request.POST, centre=centre)
    name = form.is_valid() and _pending_name(request, centre, form.cleaned_data["token"])
    if not name:
        messages.error(request, "That package is no longer waiting here: upload it again.")
        return redirect("portable:import", pk=centre.pk)
    token = form.cleaned_data["token"]
    try:
        with default_storage.open(name, "rb") as stored, open_package(stored) as package:
            imported = portfolio_import(
                package=package, centre=centre, tutor=form.cleaned_data["tutor"], by=request.user
            )
    except (PackageRefused, ValidationError) as error:
        problems = getattr(error, "problems", None) or error.messages
        form = PackageUploadForm(centre=centre)
        _forget(request, token)
        return render(
            request,
            "portable/import.html",
            {"centre": centre, "form": form, "problems": problems},
            status=400,
        )
    _forget(request, token)
    messages.success(
        request,
        f"The portfolio of {imported.enrolment.learner} arrived from {imported.source_label}.",
    )
    return redirect(imported.enrolment.get_absolute_url())
