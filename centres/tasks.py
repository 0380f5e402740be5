"""Background jobs of the centres app (django-tasks; `manage.py db_worker` runs them)."""

import datetime

from django.core.management import call_command
from django_tasks import task

from accounts.daily import queue_next_night

PURGE_AT = datetime.time(3, 30)


@task()
def purge_intake_previews() -> None:
    """The nightly purge of intake previews (`accounts.daily`); it queues its next run."""
    call_command("purge_intake_previews")
    intake_purge_schedule()


def intake_purge_schedule() -> bool:
    """Make sure the next nightly purge is queued; True if it was queued now."""
    return queue_next_night(purge_intake_previews, at=PURGE_AT)
