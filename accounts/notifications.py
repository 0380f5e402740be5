"""Telling people what happened: a notification in the app and an e-mail.

The notification rows are written in the caller's transaction; the e-mails go only once it
has committed, so nobody is told about a change that was rolled back. Each app composes its
own messages (portfolios/notifications.py, moderation/notifications.py) and sends them here.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

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


def refs(items) -> str:
    """Portfolio references for a message: the first six, then how many more."""
    refs = [e.reference for e in items]
    return ", ".join(refs[:6]) + (f" and {len(refs) - 6} more" if len(refs) > 6 else "")
