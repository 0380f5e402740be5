"""The rules editor: a qualification's rules of combination, its units' credits and its
grading points table. Centre admins edit their centre's own qualifications; staff and
catalogue editors the shared ones (`permissions.may_change`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from qualifications import selectors, versions
from qualifications.editor import qualification_rules_save
from qualifications.permissions import can_see, may_change
from qualifications.rule_forms import RulesEditor


def _qualification_to_edit(user, pk):
    """404 when `user` may not see it, 403 when they see it but may not change it."""
    qualification = get_object_or_404(selectors.qualifications_with_body(), pk=pk)
    if not can_see(user, qualification):
        raise Http404("No such qualification.")
    if not may_change(user, qualification):
        raise PermissionDenied(
            "Only the catalogue's editors change the shared catalogue; a centre admin edits "
            "the centre's own qualifications."
        )
    return qualification


@login_required
def qualification_rules(request, pk):
    qualification = _qualification_to_edit(request.user, pk)
    editor = RulesEditor(
        request.POST if request.method == "POST" else None, qualification=qualification
    )
    if request.method == "POST" and editor.is_valid():
        try:
            saved = qualification_rules_save(
                qualification=qualification, by=request.user, **editor.service_kwargs()
            )
        except ValidationError as error:
            editor.errors += error.messages
        else:
            messages.success(request, saved.message)
            return redirect(reverse("qualification_rules", args=[saved.qualification.pk]))
    refused = request.method == "POST"
    context = {
        "qualification": qualification,
        "editor": editor,
        "in_use": versions.in_use(qualification),
        "is_latest": versions.is_latest(qualification),
    }
    return render(
        request, "qualifications/rules_editor.html", context, status=400 if refused else 200
    )
