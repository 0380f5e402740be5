from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

CATALOGUE_FIXTURES = ["catalogue"]


class Command(BaseCommand):
    help = "Load the seed qualifications from fixtures/ (natural keys: safe to run again)."

    def handle(self, *args, **options):
        fixtures_dir = Path(settings.BASE_DIR) / "fixtures"
        present = [name for name in CATALOGUE_FIXTURES if (fixtures_dir / f"{name}.json").exists()]
        if not present:
            self.stdout.write("No catalogue fixtures yet.")
            return
        call_command("loaddata", *[str(fixtures_dir / f"{n}.json") for n in present], verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Loaded catalogue: {', '.join(present)}"))
