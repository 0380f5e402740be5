from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qualifications.catalogue import import_seed_documents, serialize_catalogue
from qualifications.models import Unit


class Command(BaseCommand):
    help = (
        "Import the awarding bodies' seed documents into an empty catalogue and write "
        "fixtures/catalogue.json. Run it against a fresh database, e.g. "
        "DATABASE_URL=sqlite:////tmp/catalogue.sqlite3."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seeds", default=str(Path(settings.BASE_DIR).parent / "shared" / "seeds")
        )
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "fixtures" / "catalogue.json")
        )

    def handle(self, *args, seeds, output, **options):
        if Unit.objects.exists():
            raise CommandError("The catalogue is not empty; run this against a fresh database.")
        if not Path(seeds).is_dir():
            raise CommandError(f"No seed documents at {seeds}.")
        for name, layout, units in import_seed_documents(Path(seeds)):
            self.stdout.write(f"{name}: {layout}, {units} unit(s)")
        Path(output).write_text(serialize_catalogue(), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
