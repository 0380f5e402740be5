from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import dashboards
from accounts.enums import Role
from accounts.models import Membership
from accounts.selectors import get_centre_for_user, get_membership_for_user


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
def centre_detail(request, pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    members = (
        Membership.objects.filter(centre=centre)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__username")
    )
    by_role = {role: [] for role in Role}
    for membership in members:
        by_role[Role(membership.role)].append(membership)
    return render(
        request,
        "accounts/centre_detail.html",
        {"centre": centre, "by_role": [(role.label, rows) for role, rows in by_role.items()]},
    )


@require_GET
@never_cache
def healthz(request):
    """For load balancers and monitors: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 (any database failure is "unhealthy", with its reason)
        return JsonResponse(
            {"status": "error", "database": f"{type(exc).__name__}: {exc}"}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok"})
