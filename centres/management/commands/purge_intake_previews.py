import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks import default_task_backend

from centres.models import IntakeUpload
from centres.tasks import intake_purge_schedule


class Command(BaseCommand):
    help = (
        "Delete class lists that were uploaded but not imported (intake previews) more than "
        "INTAKE_PREVIEW_DAYS days ago: they hold learners' personal data. The task worker runs "
        "this daily; --schedule makes sure that daily run is queued."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Also queue the daily run in the task worker, unless it is queued already.",
        )

    def handle(self, *args, schedule, **options):
        days = settings.INTAKE_PREVIEW_DAYS
        cutoff = timezone.now() - datetime.timedelta(days=days)
        # An imported upload is the record of what was imported; only previews go.
        stale = IntakeUpload.objects.filter(imported_at__isnull=True, uploaded_at__lt=cutoff)
        deleted, _ = stale.delete()
        self.stdout.write(f"Deleted {deleted} intake preview(s) older than {days} day(s).")
        if schedule:
            if intake_purge_schedule():
                self.stdout.write("The daily run is queued.")
            elif default_task_backend.supports_defer:
                self.stdout.write("The daily run was queued already.")
            else:
                self.stdout.write("This task backend cannot wait until tomorrow: no daily run.")
