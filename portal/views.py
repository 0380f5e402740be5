"""The dashboards: each role's first page, gathered from every app (this floor may import
all of them; no app below it imports another app's dashboards)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.shortcuts import redirect, render

from accounts.enums import Role
from accounts.permissions import memberships_of
from accounts.selectors import get_centre_for_user, get_membership_for_user
from portal import dashboards
from portfolios.validators import MAX_UPLOAD_NAME_LENGTH, FileNameTooLong


@login_required
def dashboard(request):
    """Send the person to the dashboard of the role they are acting in."""
    membership = request.active_membership
    if membership:
        return redirect("role_dashboard", pk=membership.pk)
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_role.html")


@login_required
def role_dashboard(request, pk):
    membership = get_membership_for_user(request.user, pk)
    # Opening a role's dashboard is how a person with several roles switches between them.
    if request.session.get("active_membership") != membership.pk:
        request.session["active_membership"] = membership.pk
    request.active_membership = membership
    template, context = dashboards.build(request, membership)
    return render(request, template, {"membership": membership, **context})


@login_required
def centre_dashboard(request, pk):
    """The centre admin's dashboard for this centre (for links that know only the centre)."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    membership = next(
        m
        for m in memberships_of(request.user)
        if m.centre_id == centre.pk and m.role == Role.CENTRE_ADMIN
    )
    return redirect("role_dashboard", pk=membership.pk)


def bad_request(request, exception):
    """The product's 400 page, saying which of Django's request limits was met, if one was.

    Other 400s (a forged host name, a damaged body) get a general message: their exception
    text can echo what the client sent.
    """
    limits = {
        TooManyFieldsSent: (
            f"The form sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields, "
            "the most one request may carry (DATA_UPLOAD_MAX_NUMBER_FIELDS)."
        ),
        TooManyFilesSent: (
            f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files were sent at once, "
            "the most one request may carry (DATA_UPLOAD_MAX_NUMBER_FILES). "
            "Send them in smaller batches."
        ),
        FileNameTooLong: (
            f"A file's name is longer than {MAX_UPLOAD_NAME_LENGTH} characters, the most a "
            "file name may have. Rename the file and send it again."
        ),
        RequestDataTooBig: (
            "The form's text (files aside) is larger than "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB, the most one request may "
            "carry (DATA_UPLOAD_MAX_MEMORY_SIZE)."
        ),
    }
    limit = next((text for kind, text in limits.items() if isinstance(exception, kind)), "")
    return render(request, "400.html", {"limit": limit}, status=400)
