"""What each role sees first. Each builder returns (template, context)."""

from accounts.enums import Role
from accounts.models import Membership
from centres import selectors as centre_selectors
from moderation import dashboards as moderation_dashboards
from portfolios import selectors as portfolio_selectors


def _learner(request, membership):
    return "accounts/dashboard_learner.html", {
        "enrolments": list(portfolio_selectors.learner_enrolments(request.user, membership.centre))
    }


def _tutor(request, membership):
    return "accounts/dashboard_tutor.html", {
        **moderation_dashboards.tutor_overview(request.user, membership.centre),
        "risk": centre_selectors.tutor_risk_list(request.user, membership.centre),
    }


def _internal_moderator(request, membership):
    # The plans' coverage comes from the centre's summary, kept until its next change.
    return "accounts/dashboard_iqa.html", moderation_dashboards.iqa_overview(
        request.user,
        membership.centre,
        coverage=centre_selectors.plan_coverage(membership.centre),
    )


def _external_moderator(request, membership):
    return "accounts/dashboard_eqa.html", {
        "grants": moderation_dashboards.eqa_overview(request.user, membership.centre)
    }


def _centre_admin(request, membership):
    counts = dict.fromkeys(Role, 0)
    for role in (
        Membership.objects.active().filter(centre=membership.centre).values_list("role", flat=True)
    ):
        counts[Role(role)] += 1
    return "accounts/dashboard_admin.html", {
        "role_counts": [(role.label, count) for role, count in counts.items()],
        **portfolio_selectors.centre_overview(membership.centre),
        # The learners behind schedule are listed a page at a time (?page=).
        "report": centre_selectors.centre_report(membership.centre, page=request.GET.get("page")),
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
