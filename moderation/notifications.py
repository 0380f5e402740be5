"""What people are told of decisions, sign-offs, samples and grants (sent by
`accounts.notifications.notify` once the transaction commits)."""

from django.urls import reverse

from accounts.enums import NotificationKind, Role
from accounts.models import User
from accounts.notifications import notify
from portfolios.enums import DecisionOutcome


def notify_decided(*, enrolment, decisions) -> None:
    not_met = [d for d in decisions if d.outcome == DecisionOutcome.NOT_YET_MET]
    met = len(decisions) - len(not_met)
    parts = []
    if met:
        parts.append(f"{met} criteri{'on' if met == 1 else 'a'} met")
    if not_met:
        numbers = ", ".join(d.criterion.number for d in not_met[:6])
        parts.append(f"{len(not_met)} not yet met ({numbers}): see the feedback")
    notify(
        recipients=[enrolment.learner],
        kind=NotificationKind.DECIDED,
        message=f"{decisions[0].decided_by} assessed your work: {'; '.join(parts)}.",
        url=reverse("moderation:enrolment_record", args=[enrolment.pk]),
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
        message=f"{sign_off.signature_name} signed off {sign_off.unit}. Add your comment and "
        "acknowledge it.",
        url=unit_url,
    )
    notify(
        recipients=[
            u for u in _internal_moderators(enrolment.centre) if u.pk != enrolment.tutor_id
        ],
        kind=NotificationKind.SIGNED,
        message=f"{sign_off.signature_name} signed off {sign_off.unit} for {enrolment.learner}.",
        url=unit_url,
    )


def notify_acknowledged(acknowledgement) -> None:
    sign_off = acknowledgement.sign_off
    notify(
        recipients=[sign_off.enrolment.tutor],
        kind=NotificationKind.ACKNOWLEDGED,
        message=f"{acknowledgement.learner} acknowledged the sign-off of {sign_off.unit}.",
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
            message=f"{who} referred {sample.unit} of {enrolment.learner} back: "
            f"{decision.required_actions[:200]}",
            url=url,
        )
    else:
        notify(
            recipients=[enrolment.tutor],
            kind=NotificationKind.AGREED,
            message=f"{who} agreed your assessment of {sample.unit} for {enrolment.learner}.",
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
