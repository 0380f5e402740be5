from django import template
from django.utils import timezone

from accounts.enums import Role
from accounts.permissions import has_role
from moderation import dashboards as moderation_dashboards
from moderation.enums import CellState, ReferralState, SampleOutcome
from portfolios.enums import DecisionOutcome

register = template.Library()

# The same colour means the same thing on every page (and matches portfolios' badges).
OUTCOME_BADGES = {
    DecisionOutcome.MET: "text-bg-success",
    DecisionOutcome.NOT_YET_MET: "text-bg-warning",
    SampleOutcome.AGREED: "text-bg-success",
    SampleOutcome.REFERRED: "text-bg-danger",
}

CELL_BADGES = {
    CellState.NOT_SAMPLED: "cell-not-sampled",
    CellState.NOT_READY: "cell-not-ready",
    CellState.DUE: "cell-due",
    CellState.REFERRED: "cell-referred",
    CellState.DONE: "cell-done",
}

REFERRAL_BADGES = {
    ReferralState.OPEN: "text-bg-danger",
    ReferralState.RESUBMITTED: "text-bg-info",
    ReferralState.CLOSED: "text-bg-secondary",
}


@register.filter
def outcome_badge(outcome) -> str:
    return OUTCOME_BADGES.get(outcome, "text-bg-light border")


@register.filter
def outcome_label(outcome) -> str:
    for choices in (DecisionOutcome, SampleOutcome):
        try:
            return choices(outcome).label
        except ValueError:
            continue
    return str(outcome)


@register.filter
def cell_class(state) -> str:
    return CELL_BADGES.get(state, "")


@register.filter
def referral_badge(state) -> str:
    return REFERRAL_BADGES.get(state, "text-bg-light")


@register.filter
def waited(moment) -> str:
    """How long something has waited, in the largest whole unit: "3 days", "5 hours"."""
    if not moment:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {name}{'s' if n != 1 else ''}"
    return "just now"


@register.filter
def ago(moment) -> str:
    """ "3 days ago", or "just now" (never "just now ago")."""
    if not moment:
        return ""
    span = waited(moment)
    return span if span == "just now" else f"{span} ago"


@register.filter
def waited_days(moment) -> int:
    return max(0, (timezone.now() - moment).days) if moment else 0


@register.inclusion_tag("moderation/_learner_next_steps.html", takes_context=True)
def learner_next_steps(context, membership):
    """What the learner must do after decisions and referrals (the learner dashboard)."""
    user = context["request"].user
    if not has_role(user, membership.centre_id, Role.LEARNER):
        return {"has_steps": False}
    return moderation_dashboards.learner_next_steps(user, membership.centre)
