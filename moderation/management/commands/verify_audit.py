from django.core.management.base import BaseCommand, CommandError

from moderation.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain and name the first entry that was changed, inserted "
        "or removed. Exits with status 1 when the chain is broken."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit trail broken at entry #{report.seq}: {report.problem} "
                f"({report.checked} entries before it are intact.)",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.checked} entries; head hash {report.head_hash}"
            )
        )
