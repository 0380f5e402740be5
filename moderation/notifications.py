"""Telling people what happened: a notification in the app and an e-mail.

The notification rows are written in the caller's transaction; the e-mails go only once it
has committed, so nobody is told about a decision that was rolled back.
"""

import contextlib
import contextvars
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from accounts.enums import Role
from accounts.models import User
from moderation.enums import NotificationKind
from moderation.models import Notification
from portfolios.enums import DecisionOutcome

logger = logging.getLogger(__name__)

_email_off = contextvars.ContextVar("moderation_notifications_email_off", default=False)


@contextlib.contextmanager
def without_email():
    """In-app notifications only, no e-mail (the demo data, which nobody reads by e-mail)."""
    token = _email_off.set(True)
    try:
        yield
    finally:
        _email_off.reset(token)


def _send_emails(messages: list[EmailMessage]) -> None:
    if not messages:
        return
    try:
        get_connection().send_messages(messages)
    except Exception:
        logger.exception("Could not send %d notification e-mail(s)", len(messages))


def notify(*, recipients: Iterable[User], kind: NotificationKind, message: str, url: str = ""):
    """One notification per person (each once), and an e-mail to those with an address."""
    people = {u.pk: u for u in recipients if u is not None}
    rows = Notification.objects.bulk_create(
        [
            Notification(recipient=u, kind=kind, message=message[:500], url=url)
            for u in people.values()
        ]
    )
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    body = f"{message}\n\n{site}{url}\n" if url else f"{message}\n"
    emails = [
        EmailMessage(subject=f"[{settings.SITE_NAME}] {message[:120]}", body=body, to=[u.email])
        for u in people.values()
        if u.email and not _email_off.get()
    ]
    transaction.on_commit(lambda: _send_emails(emails))
    return rows


def _refs(items) -> str:
    refs = [e.reference for e in items]
    return ", ".join(refs[:6]) + (f" and {len(refs) - 6} more" if len(refs) > 6 else "")


def notify_evidence_submitted(evidence) -> None:
    """The tutor hears of newly submitted evidence: one item, or a list (grouped per learner).

    portfolios' `evidence_submit` calls this inside its transaction.
    """
    items = [evidence] if not isinstance(evidence, Iterable) else list(evidence)
    by_enrolment = defaultdict(list)
    for item in items:
        by_enrolment[item.enrolment_id].append(item)
    for group in by_enrolment.values():
        enrolment = group[0].enrolment
        count = len(group)
        notify(
            recipients=[enrolment.tutor],
            kind=NotificationKind.EVIDENCE_SUBMITTED,
            message=f"{enrolment.learner} submitted {count} evidence item"
            f"{'s' if count != 1 else ''} for assessment: {_refs(group)}.",
            url=reverse("moderation:tutor_queue"),
        )


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
