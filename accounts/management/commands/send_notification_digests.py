from django.core.management.base import BaseCommand
from django_tasks import default_task_backend

from accounts.notifications import send_digests
from accounts.tasks import digest_schedule


class Command(BaseCommand):
    help = (
        "E-mail each person who chose the daily digest what is new and unread in their "
        "notifications. The task worker runs this every morning; --schedule makes sure that "
        "run is queued (without sending anything now)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Only queue the daily run in the task worker, unless it is queued already.",
        )

    def handle(self, *args, schedule, **options):
        if not schedule:
            sent = send_digests()
            self.stdout.write(f"Sent {sent} digest e-mail(s).")
            return
        if digest_schedule():
            self.stdout.write("The daily digest is queued.")
        elif default_task_backend.supports_defer:
            self.stdout.write("The daily digest was queued already.")
        else:
            self.stdout.write("This task backend cannot wait until tomorrow: no daily digest.")
