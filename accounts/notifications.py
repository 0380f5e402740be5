"""Telling people what happened: a notification in the app and an e-mail.

The notification rows are written in the caller's transaction; the e-mails go only once it
has committed, so nobody is told about a change that was rolled back. Each app composes its
own messages (portfolios/notifications.py, moderation/notifications.py) and sends them here.

A notification names what it is about (`subject`, "evidence:14"); the service that acts on
that thing clears it (`clear`), so a list of notices is a list of what is still to do.
Someone who chose the daily digest (`User.daily_digest`) gets no e-mail per event: the task
worker sends each such person one e-mail a day of what is new and still unread
(`send_digests`, `accounts/tasks.py`).
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.enums import NotificationKind
from accounts.models import Notification, User

logger = logging.getLogger(__name__)

_email_off = contextvars.ContextVar("notifications_email_off", default=False)


@contextlib.contextmanager
def without_email():
    """In-app notifications only, no e-mail (the demo data, which nobody reads by e-mail)."""
    token = _email_off.set(True)
    try:
        yield
    finally:
        _email_off.reset(token)


def _send_emails(messages: list[EmailMessage]) -> bool:
    if not messages:
        return True
    try:
        get_connection().send_messages(messages)
    except Exception:
        logger.exception("Could not send %d notification e-mail(s)", len(messages))
        return False
    return True


def _link(url: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + url


def notify(
    *,
    recipients: Iterable[User],
    kind: NotificationKind,
    message: str,
    url: str = "",
    subject: str = "",
):
    """One notification per person (each once), and an e-mail to those with an address who
    did not choose the daily digest (theirs waits for it)."""
    return notify_each(recipients=recipients, kind=kind, notices=[Notice(message, url, subject)])


@dataclass(frozen=True)
class Notice:
    message: str
    url: str = ""
    subject: str = ""


def notify_each(*, recipients: Iterable[User], kind: NotificationKind, notices: list[Notice]):
    """A notification per notice and person (several things that happened at once, each
    naming its own object), and one e-mail per person listing them all, unless they chose
    the daily digest."""
    people = {u.pk: u for u in recipients if u is not None}
    off = _email_off.get()
    mailed = {pk for pk, u in people.items() if u.email and not u.daily_digest and not off}
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=u,
                kind=kind,
                message=notice.message[:500],
                url=notice.url,
                subject=notice.subject,
                # Nobody reads the demo's mail: its notices count as sent, digest or not.
                emailed_at=now if pk in mailed or off else None,
            )
            for pk, u in people.items()
            for notice in notices
        ]
    )
    if not notices:
        return rows
    lines = []
    for notice in notices:
        lines.append(notice.message)
        if notice.url:
            lines.append(_link(notice.url))
        lines.append("")
    first = notices[0].message
    title = first if len(notices) == 1 else f"{first} (and {len(notices) - 1} more)"
    emails = [
        EmailMessage(
            subject=f"[{settings.SITE_NAME}] {title[:120]}",
            body="\n".join(lines),
            to=[people[pk].email],
        )
        for pk in mailed
    ]
    transaction.on_commit(lambda: _send_emails(emails))
    return rows


def clear(*subjects: str, recipient: User | None = None, kinds: Iterable[str] = ()) -> int:
    """Mark read the unread notifications about these subjects (of one person, of some
    kinds): what they pointed to has been acted on. Returns how many."""
    wanted = [s for s in subjects if s]
    if not wanted:
        return 0
    rows = Notification.objects.unread().filter(subject__in=wanted)
    if recipient is not None:
        rows = rows.filter(recipient=recipient)
    kinds = list(kinds)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    return rows.update(read_at=timezone.now())


def digest_message(person: User, notices: list[Notification]) -> EmailMessage:
    lines = [f"{len(notices)} new since the last e-mail:", ""]
    for n in notices:
        lines.append(f"- {n.message}")
        if n.url:
            lines.append(f"  {_link(n.url)}")
    lines += ["", f"All your notifications: {_link(reverse('moderation:notification_list'))}"]
    return EmailMessage(
        subject=f"[{settings.SITE_NAME}] Your daily summary: {len(notices)} new",
        body="\n".join(lines) + "\n",
        to=[person.email],
    )


def send_digests() -> int:
    """One e-mail to each person who chose the daily digest, of their notifications not yet
    e-mailed and still unread (what has been acted on is left out); returns how many
    e-mails. Those notifications count as e-mailed afterwards, read ones too."""
    waiting = list(
        Notification.objects.filter(
            recipient__daily_digest=True, recipient__is_active=True, emailed_at__isnull=True
        )
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "pk")
    )
    by_person: dict[int, list[Notification]] = {}
    for n in waiting:
        by_person.setdefault(n.recipient_id, []).append(n)
    messages = []
    for notices in by_person.values():
        person = notices[0].recipient
        unread = [n for n in notices if n.read_at is None]
        if person.email and unread:
            messages.append(digest_message(person, unread))
    if not _send_emails(messages):
        return 0  # tried again at the next run
    Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(emailed_at=timezone.now())
    return len(messages)
