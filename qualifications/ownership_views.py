"""The catalogue's ownership pages: staff give and take the catalogue editor role, and
publish a centre's own unit or qualification to the shared catalogue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import formflow
from qualifications import ownership, selectors
from qualifications.ownership_forms import EditorGrantForm, EditorRevokeForm
from qualifications.permissions import is_staff, may_publish

# What each button of the editors page does: its form, its service, what is said after.
EDITOR_ACTIONS = {
    "grant": (EditorGrantForm, ownership.catalogue_editor_grant, "is a catalogue editor"),
    "revoke": (
        EditorRevokeForm,
        ownership.catalogue_editor_revoke,
        "is no longer a catalogue editor",
    ),
}


@login_required
def catalogue_editors(request):
    """Who may change the shared catalogue besides staff; staff give and take the role."""
    if not is_staff(request.user):
        raise PermissionDenied("Only the site's staff give the catalogue editor role.")
    form = None
    if request.method == "POST":
        action = "revoke" if "revoke" in request.POST else "grant"
        form_class, service, said = EDITOR_ACTIONS[action]
        form = form_class(request.POST)
        response = formflow.posted(request, form) and formflow.apply(
            request,
            form,
            lambda: service(by=request.user, **form.service_kwargs()),
            done=lambda person: f"{person} {said}.",
            then=request.path,
        )
        if response:
            return response
        if action == "revoke":
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    context = {"editors": selectors.catalogue_editors()}
    context["form"] = form if isinstance(form, EditorGrantForm) else EditorGrantForm()
    return render(
        request, "qualifications/editors.html", context, status=formflow.form_status(form)
    )


def _publish(request, obj):
    if not may_publish(request.user):
        raise PermissionDenied("Only the site's staff publish to the shared catalogue.")
    try:
        published = ownership.catalogue_publish(obj=obj, by=request.user)
    except ValidationError as error:
        messages.error(request, "Nothing was published. " + " ".join(error.messages))
        return redirect(obj)
    names = ", ".join(str(row) for row in published)
    messages.success(request, f"Published to the shared catalogue: {names}.")
    return redirect(obj)


@require_POST
@login_required
def unit_publish(request, slug):
    return _publish(request, selectors.get_unit_for_user(request.user, slug))


@require_POST
@login_required
def qualification_publish(request, pk):
    return _publish(request, selectors.get_qualification_for_user(request.user, pk))
