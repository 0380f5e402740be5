"""What people are told of decisions, sign-offs, samples and grants (sent by
`accounts.notifications.notify` once the transaction commits)."""

from django.urls import reverse

from accounts.enums import NotificationKind, Role
from accounts.models import User
from accounts.notifications import notify
from portfolios.enums import DecisionOutcome
from portfolios.notifications import evidence_subject


def unit_subject(enrolment_id, unit_id) -> str:
    """What a notice about one learner's unit is about (a sign-off, a referral)."""
    return f"unit:{enrolment_id}:{unit_id}"


def _criteria(n: int) -> str:
    return f"{n} criteri{'on' if n == 1 else 'a'}"


def notify_decided(*, enrolment, decisions, evidence=None) -> None:
    """The learner hears of the tutor's decisions, named by the item they rest on ("E014
    assessed: 2 criteria not yet met"), or by the criterion decided on its own page."""
    not_met = [d for d in decisions if d.outcome == DecisionOutcome.NOT_YET_MET]
    met = len(decisions) - len(not_met)
    if not_met:
        numbers = ", ".join(d.criterion.shown_number for d in not_met[:6])
        outcome = f"{_criteria(len(not_met))} not yet met ({numbers})"
    else:
        outcome = f"{_criteria(met)} met"
    if evidence is not None:
        named = f"{evidence.reference} {evidence.title}"
        url = reverse("evidence_detail", args=[evidence.pk])
        subject = evidence_subject(evidence)
    else:
        first = decisions[0].criterion
        named = f"{first.unit.code or first.unit.title} {first.shown_number}"
        if len(decisions) > 1:
            named += f" and {len(decisions) - 1} more"
        url = reverse("moderation:criterion_detail", args=[enrolment.pk, first.pk])
        subject = ""
    notify(
        recipients=[enrolment.learner],
        kind=NotificationKind.DECIDED,
        message=f"{named} assessed by {decisions[0].decided_by}: {outcome}.",
        url=url,
        subject=subject,
    )


def _internal_moderators(centre) -> list[User]:
    return list(
        User.objects.filter(
            memberships__centre=centre,
            memberships__role=Role.INTERNAL_MODERATOR,
            memberships__is_active=True,
            is_active=True,
        )
    )


def notify_signed(sign_off) -> None:
    enrolment = sign_off.enrolment
    unit_url = reverse("moderation:unit_record", args=[enrolment.pk, sign_off.unit_id])
    notify(
        recipients=[enrolment.learner],
        kind=NotificationKind.SIGNED,
        message=f"{sign_off.unit} signed off by {sign_off.signature_name}: add your comment "
        "and acknowledge it.",
        url=unit_url,
        subject=unit_subject(enrolment.pk, sign_off.unit_id),
    )
    notify(
        recipients=[
            u for u in _internal_moderators(enrolment.centre) if u.pk != enrolment.tutor_id
        ],
        kind=NotificationKind.SIGNED,
        message=f"{sign_off.unit} of {enrolment.learner} signed off by {sign_off.signature_name}.",
        url=unit_url,
        subject=unit_subject(enrolment.pk, sign_off.unit_id),
    )


def notify_acknowledged(acknowledgement) -> None:
    sign_off = acknowledgement.sign_off
    notify(
        recipients=[sign_off.enrolment.tutor],
        kind=NotificationKind.ACKNOWLEDGED,
        message=f"{sign_off.unit}: {acknowledgement.learner} acknowledged the sign-off.",
        url=reverse("moderation:unit_record", args=[sign_off.enrolment_id, sign_off.unit_id]),
    )


def notify_sample_decided(decision) -> None:
    sample = decision.sample
    enrolment = sample.enrolment
    url = reverse("moderation:unit_record", args=[enrolment.pk, sample.unit_id])
    who = f"{decision.signature_name} ({sample.get_kind_display().lower()})"
    if decision.is_referral:
        notify(
            recipients=[enrolment.tutor, enrolment.learner],
            kind=NotificationKind.REFERRED,
            message=f"{sample.unit} of {enrolment.learner} referred back by {who}: "
            f"{decision.required_actions[:200]}",
            url=url,
            subject=unit_subject(enrolment.pk, sample.unit_id),
        )
    else:
        notify(
            recipients=[enrolment.tutor],
            kind=NotificationKind.AGREED,
            message=f"{sample.unit} of {enrolment.learner}: {who} agreed your assessment.",
            url=url,
        )


def notify_granted(grant) -> None:
    notify(
        recipients=[grant.moderator],
        kind=NotificationKind.GRANTED,
        message=f"{grant.centre.name} opened learners' portfolios to you until "
        f"{grant.ends_at:%d %b %Y %H:%M}.",
        url=reverse("moderation:eqa_home"),
    )
