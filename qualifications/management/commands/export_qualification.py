from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Centre
from qualifications.models import Qualification
from qualifications.structure import dumps, export_structure


class Command(BaseCommand):
    help = (
        "Write a qualification's whole structure (units, outcomes, criteria, grade bands, "
        "rules, version) as one JSON document (docs/qualification.schema.json)."
    )

    def add_base_argument(self, parser, *args, **kwargs):
        # --version here is the qualification's version, not Django's.
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("number", help="Ofqual qualification number, e.g. 601/3734/4")
        parser.add_argument("--version", type=int, dest="version_number", help="Default: latest.")
        parser.add_argument("--output", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--centre", help="Centre number: that centre's own qualification (default: shared)."
        )

    def handle(self, *args, number, version_number, output, centre, **options):
        owner = None
        if centre:
            owner = Centre.objects.filter(centre_number=centre).first()
            if owner is None:
                raise CommandError(f"No centre numbered {centre}.")
        versions = Qualification.objects.filter(number=number, centre=owner).order_by("-version")
        if version_number is not None:
            versions = versions.filter(version=version_number)
        qualification = versions.select_related("awarding_body").first()
        if qualification is None:
            which = f" version {version_number}" if version_number is not None else ""
            raise CommandError(f"No qualification {number}{which} in that catalogue.")
        text = dumps(export_structure(qualification))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {qualification} to {output}.")
        else:
            self.stdout.write(text, ending="")
