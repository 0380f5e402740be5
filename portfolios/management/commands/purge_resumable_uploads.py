from django.conf import settings
from django.core.management.base import BaseCommand
from django_tasks import default_task_backend

from portfolios import resumable
from portfolios.tasks import resumable_purge_schedule


class Command(BaseCommand):
    help = (
        "Delete resumable evidence uploads that received nothing for RESUMABLE_UPLOAD_HOURS "
        "hours (abandoned: never finished, or finished but never saved as evidence). The task "
        "worker runs this daily; --schedule makes sure that daily run is queued."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Also queue the daily run in the task worker, unless it is queued already.",
        )

    def handle(self, *args, schedule, **options):
        hours = settings.RESUMABLE_UPLOAD_HOURS
        deleted = resumable.purge(older_than_seconds=hours * 3600)
        self.stdout.write(f"Deleted {deleted} unfinished upload(s) idle for {hours} hour(s).")
        if schedule:
            if resumable_purge_schedule():
                self.stdout.write("The daily run is queued.")
            elif default_task_backend.supports_defer:
                self.stdout.write("The daily run was queued already.")
            else:
                self.stdout.write("This task backend cannot wait until tomorrow: no daily run.")
