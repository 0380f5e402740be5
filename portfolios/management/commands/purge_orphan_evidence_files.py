import datetime

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from portfolios.models import EvidenceFile
from portfolios.uploads import delete_stored, stored_names


class Command(BaseCommand):
    help = (
        "List (or with --delete remove) evidence files in storage that no record points to, "
        "e.g. left by a server killed in the middle of an upload."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="Remove them.")
        parser.add_argument(
            "--min-age-hours",
            type=float,
            default=6,
            help="Leave younger files alone: an upload may be in the middle of saving them.",
        )

    def handle(self, *args, delete, min_age_hours, **options):
        known = set(EvidenceFile.objects.values_list("file", flat=True))
        cutoff = timezone.now() - datetime.timedelta(hours=min_age_hours)
        orphans = sorted(
            name
            for name in stored_names() - known
            if default_storage.get_modified_time(name) < cutoff
        )
        for name in orphans:
            self.stdout.write(name)
        if delete:
            delete_stored(orphans)
        verb = "Removed" if delete else "Found"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(orphans)} orphaned file(s)."))
