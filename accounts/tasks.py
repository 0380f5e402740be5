"""Background jobs of the accounts app (django-tasks; `manage.py db_worker` runs them)."""

import datetime

from django_tasks import task

from accounts.daily import queue_next_night
from accounts.notifications import send_digests

DIGEST_AT = datetime.time(7, 0)


@task()
def send_notification_digests() -> None:
    """The morning's digest e-mails (`accounts.notifications.send_digests`); it queues its
    next run."""
    send_digests()
    digest_schedule()


def digest_schedule() -> bool:
    """Make sure the next morning's digest is queued; True if it was queued now."""
    return queue_next_night(send_notification_digests, at=DIGEST_AT)
