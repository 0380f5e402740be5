"""Background jobs of the checklists app (django-tasks; `manage.py db_worker` runs them)."""

from django_tasks import task

from checklists import services


@task()
def print_cohort(cohort_print_id: int) -> None:
    services.cohort_print_run(cohort_print_id=cohort_print_id)


@task()
def prune_cache() -> None:
    """The daily prune of cached PDFs; it queues its own next run for tomorrow night."""
    services.checklist_cache_prune()
    services.cache_prune_schedule(force=True)
