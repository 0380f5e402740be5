"""Jobs the task worker runs every night.

django-tasks has no periodic schedule, so a daily job queues its own next run when it ends
(`queue_next_night`). The chain is started by each job's command with `--schedule`, which
bin/run (and a deployment, at each start) runs before the worker; starting it again while a
run is waiting does nothing, so running it at every start is safe.
"""

import datetime

from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend


def is_waiting(task) -> bool:
    """A run of `task` is queued and has not started."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).exists()


def queue_next_night(task, *, at: datetime.time, unless_waiting: bool = True) -> bool:
    """Queue `task` for tomorrow at `at` (local time); True if it was queued now. A backend
    that runs tasks at once (the tests') cannot wait, so nothing is queued there."""
    if not default_task_backend.supports_defer:
        return False
    if unless_waiting and is_waiting(task):
        return False
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    task.using(run_after=timezone.make_aware(datetime.datetime.combine(tomorrow, at))).enqueue()
    return True
