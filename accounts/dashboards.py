"""What each role sees first. Each builder returns (template, context)."""

from accounts.enums import Role
from accounts.models import Membership


def _learner(request, membership):
    return "accounts/dashboard_learner.html", {}


def _tutor(request, membership):
    return "accounts/dashboard_tutor.html", {}


def _internal_moderator(request, membership):
    return "accounts/dashboard_iqa.html", {}


def _external_moderator(request, membership):
    return "accounts/dashboard_eqa.html", {}


def _centre_admin(request, membership):
    counts = dict.fromkeys(Role, 0)
    for role in (
        Membership.objects.active().filter(centre=membership.centre).values_list("role", flat=True)
    ):
        counts[Role(role)] += 1
    return "accounts/dashboard_admin.html", {
        "role_counts": [(role.label, count) for role, count in counts.items()]
    }


BUILDERS = {
    Role.LEARNER: _learner,
    Role.TUTOR: _tutor,
    Role.INTERNAL_MODERATOR: _internal_moderator,
    Role.EXTERNAL_MODERATOR: _external_moderator,
    Role.CENTRE_ADMIN: _centre_admin,
}


def build(request, membership):
    return BUILDERS[Role(membership.role)](request, membership)
