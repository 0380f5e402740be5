from django import template

from portfolios.enums import CriterionStatus, EvidenceState

register = template.Library()

# Bootstrap badge classes; the same colour means the same thing on every page.
CRITERION_BADGES = {
    CriterionStatus.NO_EVIDENCE: "text-bg-light border",
    CriterionStatus.LINKED: "text-bg-info",
    CriterionStatus.SUBMITTED: "text-bg-primary",
    CriterionStatus.NOT_YET_MET: "text-bg-warning",
    CriterionStatus.MET: "text-bg-success",
}

EVIDENCE_BADGES = {
    EvidenceState.DRAFT: "text-bg-secondary",
    EvidenceState.SUBMITTED: "text-bg-primary",
    EvidenceState.ASSESSED: "text-bg-success",
    EvidenceState.SUPERSEDED: "text-bg-light border text-decoration-line-through",
}


@register.filter
def criterion_badge(status) -> str:
    return CRITERION_BADGES.get(status, "text-bg-light")


@register.filter
def evidence_badge(state) -> str:
    return EVIDENCE_BADGES.get(state, "text-bg-light")


@register.filter
def state_label(state) -> str:
    try:
        return EvidenceState(state).label
    except ValueError:
        return str(state)
