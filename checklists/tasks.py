"""Background jobs of the checklists app (django-tasks; `manage.py db_worker` runs them).
Each task is a thin call into a service; queueing them is done here, so services never
import this module."""

import datetime

from django_tasks import task

from accounts.daily import queue_next_night
from checklists import services
from checklists.models import CohortPrint

PRUNE_AT = datetime.time(3, 0)


@task()
def print_cohort(cohort_print_id: int) -> None:
    services.cohort_print_run(cohort_print_id=cohort_print_id)


def cohort_print_start(**request) -> CohortPrint:
    """Save the cohort print (`services.cohort_print_create`) and queue it once the row is
    saved, so the worker always finds it. A backend that runs tasks at once (the tests') has
    printed the whole cohort by the time this returns."""
    cohort_print = services.cohort_print_create(**request)
    result = print_cohort.enqueue(cohort_print.pk)
    CohortPrint.objects.filter(pk=cohort_print.pk).update(task_id=str(result.id))
    cohort_print.refresh_from_db()
    return cohort_print


@task()
def prune_cache() -> None:
    """The nightly prune of cached PDFs (`accounts.daily`); it queues its next run."""
    services.checklist_cache_prune()
    cache_prune_schedule()


def cache_prune_schedule() -> bool:
    """Make sure the next nightly prune is queued; True if it was queued now."""
    return queue_next_night(prune_cache, at=PRUNE_AT)
