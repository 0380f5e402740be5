import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Centre
from qualifications.structure import StructureError, import_structure, load_document


class Command(BaseCommand):
    help = (
        "Import a qualification structure document (docs/qualification.schema.json). The same "
        "document again changes nothing; a changed one makes a new version of whatever "
        "learners use. Refused documents save nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen only.")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON."
        )
        parser.add_argument(
            "--centre", help="Centre number: import as that centre's own (default: shared)."
        )

    def handle(self, *args, file, dry_run, as_json, centre, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        owner = None
        if centre:
            owner = Centre.objects.filter(centre_number=centre).first()
            if owner is None:
                raise CommandError(f"No centre numbered {centre}.")
        try:
            document = load_document(path.read_bytes())
            report = import_structure(document, by=None, centre=owner, dry_run=dry_run)
        except StructureError as error:
            raise CommandError(f"Nothing was imported. {file}: {error}") from error
        if as_json:
            self.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
            return
        prefix = "would be " if dry_run else ""
        for item in report.items:
            label = f"{item.kind} {item.key} v{item.version}"
            action = item.action.replace("_", " ")
            if item.previous_version is not None and item.action == "new_version":
                action += f" (from v{item.previous_version})"
            self.stdout.write(f"{label}: {prefix}{action} · {item.title}")
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
