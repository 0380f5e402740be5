from django.core.management.base import BaseCommand, CommandError

from portable.services import portfolio_export
from portfolios.models import Enrolment


class Command(BaseCommand):
    help = (
        "Write a learner's whole record (evidence and its files, mappings, decisions, sign-offs, "
        "moderation, audit entries with the chain head, the filled checklist) as a zip package "
        "(docs/portfolio.schema.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument("enrolment_id", type=int)
        parser.add_argument("file", help="The package to write, e.g. portfolio.zip")

    def handle(self, *args, enrolment_id, file, **options):
        enrolment = (
            Enrolment.objects.select_related("centre", "learner", "qualification")
            .filter(pk=enrolment_id)
            .first()
        )
        if enrolment is None:
            raise CommandError(f"No enrolment {enrolment_id}.")
        try:
            with open(file, "wb") as target:
                manifest = portfolio_export(enrolment=enrolment, by=None, target=target)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error}") from error
        head = manifest["audit"]["chain_head"]
        self.stdout.write(
            f"Wrote the portfolio of {enrolment.learner} to {file}: "
            f"{len(manifest['evidence'])} evidence items, {len(manifest['decisions'])} decisions. "
            f"Audit chain head #{head['seq']} {head['hash']}."
        )
