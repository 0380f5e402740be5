"""The evidence methods' records on the pages that show evidence (`methods.py`)."""

from django import template

from portfolios import methods, permissions
from portfolios.models import DiscussionEntry, Evidence, Observation

register = template.Library()


@register.inclusion_tag("portfolios/methods/_links.html", takes_context=True)
def method_links(context, enrolment):
    """The tutor's buttons: record an observation or a discussion, ask a witness."""
    user = context["request"].user
    return {"enrolment": enrolment, "show": permissions.can_record_method(user, enrolment)}


@register.inclusion_tag("portfolios/methods/_records.html", takes_context=True)
def evidence_method_records(context, evidence):
    """How the item came about: the signed observation, the discussion's questions and
    answers, the witness's testimony, the assessor's "seen and verified"."""
    user = context["request"].user
    # Three queries for any item, with a record or without.
    records = (
        Evidence.objects.filter(pk=evidence.pk)
        .select_related("observation", "witness_testimony__request", "verification")
        .get()
    )
    observation = getattr(records, "observation", None)
    observed = [
        link.assessmentcriterion
        for link in Observation.criteria.through.objects.filter(observation__evidence=evidence)
        .select_related("assessmentcriterion__unit")
        .order_by("assessmentcriterion__unit__code", "assessmentcriterion__sort_key")
    ]
    entries = list(DiscussionEntry.objects.filter(discussion__evidence=evidence).order_by("order"))
    testimony = getattr(records, "witness_testimony", None)
    verification = getattr(records, "verification", None)
    workplace = methods.is_workplace_evidence(evidence)
    return {
        "evidence": evidence,
        "observation": observation,
        "observed": observed,
        "entries": entries,
        "testimony": testimony,
        "verification": verification,
        "workplace": workplace,
        "can_verify": workplace
        and verification is None
        and permissions.can_verify_workplace(user, evidence),
    }
