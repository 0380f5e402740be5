from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain and name the first entry that was changed, inserted "
        "or removed; then check every recorded row (decisions, sign-offs, samples, evidence, "
        "enrolments, roles) against its last entry. Exits with status 1 on any finding."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            for finding in report.findings[1:]:
                self.stderr.write(finding.problem)
            where = f"entry #{report.seq}" if report.seq else "the records"
            raise CommandError(
                f"Audit trail broken at {where}: {report.problem} "
                f"({report.checked} entries checked; {len(report.findings)} finding(s).)",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.checked} entries; head #{report.head_seq} "
                f"hash {report.head_hash}"
            )
        )
