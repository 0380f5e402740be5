"""Background jobs of the centres app (django-tasks; `manage.py db_worker` runs them).

django-tasks has no periodic schedule, so the daily purge of intake previews queues its own
next run for the following night. The chain is started by
`manage.py purge_intake_previews --schedule`, which bin/run runs before it starts the worker
(and a deployment runs once, or at each start); starting it again while a run is queued does
nothing, so running it at every start is safe. It is started there rather than when a preview
is made so that previews left from before a restart, or after the queue was cleared, still go.
"""

import datetime

from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend, task


@task()
def purge_intake_previews() -> None:
    """The daily purge; it queues its own next run for tomorrow night."""
    call_command("purge_intake_previews")
    intake_purge_schedule()


def intake_purge_schedule() -> bool:
    """Make sure the next daily purge is queued; True if it queued it now."""
    if not default_task_backend.supports_defer:
        return False  # the immediate backend (tests) cannot wait until tomorrow
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        task_path=purge_intake_previews.module_path, status=TaskResultStatus.READY
    )
    if queued.exists():
        return False
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    run_after = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(3, 30)))
    purge_intake_previews.using(run_after=run_after).enqueue()
    return True
