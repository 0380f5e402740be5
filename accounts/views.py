import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.enums import Role
from accounts.filters import PeopleFilter
from accounts.forms import PersonForm, RoleChangeForm
from accounts.models import Membership, User
from accounts.selectors import get_centre_for_user
from portfolios.models import Enrolment

PEOPLE_PER_PAGE = 50

logger = logging.getLogger(__name__)


def _people_of(centre):
    roles_here = Membership.objects.filter(centre=centre).order_by("role")
    return (
        User.objects.filter(memberships__centre=centre)
        .distinct()
        .prefetch_related(Prefetch("memberships", queryset=roles_here, to_attr="roles_here"))
        .order_by("last_name", "first_name", "username")
    )


@login_required
def centre_detail(request, pk):
    """The centre's people: filter by name, role and status; sort; one page at a time."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    people = PeopleFilter(request.GET, queryset=_people_of(centre), centre=centre)
    page = Paginator(people.qs, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/centre_detail.html",
        {"centre": centre, "filter": people, "page": page, "query": query.urlencode()},
    )


@login_required
def person_add(request, pk):
    """Add a person, or invite an account that exists elsewhere. The answer is the same
    redirect and the same message either way, so no account's existence is revealed."""
    centre = get_centre_for_user(request.user, pk, manage=True)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = services.person_add(
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
                request, services.person_add_message(email=data["email"], centre=centre)
            )
            return redirect("centre_detail", pk=centre.pk)
    return render(request, "accounts/person_add.html", {"centre": centre, "form": form})


def _send_invitation_mail(request, centre, added, *, send_password_link: bool) -> None:
    base_url = request.build_absolute_uri("/")
    if added.invitation is not None:
        services.invitation_notice_send(invitation=added.invitation, base_url=base_url)
    elif added.created and send_password_link:
        services.invitation_send(person=added.person, centre=centre, base_url=base_url)


def _person_at(centre, person_pk):
    """A person with any role, past or present, at the centre; anyone else is 404."""
    return get_object_or_404(_people_of(centre), pk=person_pk)


@login_required
def person_detail(request, pk, person_pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    person = _person_at(centre, person_pk)
    held = {m.role: m for m in person.roles_here}
    roles = [(role, held.get(role)) for role in Role]
    enrolments = (
        Enrolment.objects.filter(centre=centre)
        .filter(learner=person)
        .select_related("qualification", "tutor")
        .order_by("-start_date")
    )
    tutoring = Enrolment.objects.filter(centre=centre, tutor=person).count()
    return render(
        request,
        "accounts/person_detail.html",
        {
            "centre": centre,
            "person": person,
            "roles": roles,
            "enrolments": enrolments,
            "tutoring": tutoring,
            "is_active_here": any(m.is_active for m in person.roles_here),
        },
    )


@login_required
@require_POST
def person_role_change(request, pk, person_pk):
    centre = get_centre_for_user(request.user, pk, manage=True)
    person = _person_at(centre, person_pk)
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role and whether to give or take it.")
    else:
        role, action = form.cleaned_data["role"], form.cleaned_data["action"]
        change = services.role_give if action == "give" else services.role_take
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
    person = _person_at(centre, person_pk)
    try:
        ended = services.person_deactivate(centre=centre, person=person, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{person} is deactivated here ({ended} role(s) ended); their records stay."
        )
    return redirect("person_detail", pk=centre.pk, person_pk=person.pk)


@require_GET
@never_cache
def healthz(request):
    """For load balancers and monitors: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure is "unhealthy"
        # The reason names the database's host, port and role: it goes to the log for the
        # operator, never to whoever asks.
        logger.exception("healthz: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
