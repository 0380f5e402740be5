"""Background jobs of the portfolios app (django-tasks; `manage.py db_worker` runs them)."""

import datetime

from django.core.management import call_command
from django_tasks import task

from accounts.daily import queue_next_night

PURGE_AT = datetime.time(3, 40)


@task()
def purge_resumable_uploads() -> None:
    """The nightly purge of abandoned resumable uploads; it queues its next run."""
    call_command("purge_resumable_uploads")
    resumable_purge_schedule()


def resumable_purge_schedule() -> bool:
    """Make sure the next nightly purge is queued; True if it was queued now."""
    return queue_next_night(purge_resumable_uploads, at=PURGE_AT)
