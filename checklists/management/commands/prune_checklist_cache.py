from django.core.management.base import BaseCommand

from checklists import services, tasks


class Command(BaseCommand):
    help = (
        "Delete cached checklist PDFs not used for --days days and those of enrolments that "
        "are gone. The task worker runs this daily (checklists.tasks.prune_cache); "
        "--schedule queues that daily run if it is not queued yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=services.CACHE_DAYS)
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Only make sure the daily prune is queued for the task worker.",
        )

    def handle(self, *args, days, schedule, **options):
        if schedule:
            queued = tasks.cache_prune_schedule()
            self.stdout.write("Daily prune queued." if queued else "Daily prune already queued.")
            return
        report = services.checklist_cache_prune(days=days)
        self.stdout.write(
            f"Deleted {report.unit_files} cached unit PDFs and {report.merged} merged prints."
        )
