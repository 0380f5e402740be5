import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from accounts.models import Centre
from qualifications.importer import SpecParseError, parse_spec
from qualifications.models import Unit
from qualifications.services import SpecImportError, spec_import, spec_plan
from qualifications.textextract import extract_text


class Command(BaseCommand):
    help = (
        "Import awarding-body unit specifications, checklists or guidance (.txt, .docx, .pdf). "
        "All files are imported in one transaction: any error saves nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--dry-run", action="store_true", help="Recognise only; save nothing.")
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print what was recognised as JSON.",
        )
        parser.add_argument("--title", help="Title for a single unit whose document gives none.")
        parser.add_argument(
            "--code", help="Ofqual unit code for a single unit whose document gives none."
        )
        parser.add_argument(
            "--centre",
            metavar="CENTRE_NUMBER",
            help="Import as this centre's own units and qualifications (seen by it alone); "
            "the shared catalogue is compared with but never changed.",
        )

    def _parse(self, name):
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file.")
        try:
            text = extract_text(path.name, path.read_bytes())
        except SpecParseError as error:  # the message names the file already
            raise CommandError(f"Nothing was imported. {error}") from error
        try:
            return parse_spec(text)
        except SpecParseError as error:
            raise CommandError(f"Nothing was imported. {name}: {error}") from error

    def handle(self, *args, files, dry_run, as_json, title, code, centre=None, **options):
        results = [(name, self._parse(name)) for name in files]
        details = {}
        if title or code:
            details = {0: {"title": title or "", "code": code or ""}}

        if as_json and dry_run:
            payload = [result.to_json() for _, result in results]
            self.stdout.write(_dumps(payload[0] if len(payload) == 1 else payload))
        if dry_run:
            catalogue = _catalogue_available()
            owner = _centre(centre) if catalogue and centre else None
            for name, result in results:
                if not as_json:
                    self._describe_reading(name, result)
                if not catalogue:
                    continue
                for plan in spec_plan(result=result, details=details, centre=owner).plans:
                    if not as_json and not plan.problems:
                        self.stdout.write(
                            f"  unit {plan.index + 1} would be {plan.status.replace('_', ' ')} "
                            f"(version {plan.version})"
                        )
                    for problem in plan.problems:
                        self.stderr.write(f"{name}: unit {plan.index + 1}: {problem}")
            if not catalogue:
                self.stderr.write(
                    "No catalogue database here: the documents were read but not compared "
                    "with the catalogue."
                )
            return

        doubtful = [(name, result) for name, result in results if result.doubts]
        if doubtful:
            listed = "; ".join(f"{name}: {'; '.join(r.doubts)}" for name, r in doubtful)
            raise CommandError(
                f"Nothing was imported. The reading needs a person's eye first ({listed}). "
                "Correct it on the import page, or fix the document."
            )
        owner = _centre(centre) if centre else None
        reports = []
        try:
            with transaction.atomic():
                for name, result in results:
                    report = spec_import(result=result, details=details, centre=owner)
                    reports.append({"file": name, **report.as_json()})
                    if not as_json:
                        self._describe(name, report)
        except SpecImportError as error:
            raise CommandError(f"Nothing was imported. {error}") from error
        if as_json:
            self.stdout.write(_dumps(reports[0] if len(reports) == 1 else reports))

    def _describe_reading(self, name, result):
        self.stdout.write(f"{name}: read as {result.layout_name}")
        for index, unit in enumerate(result.units, start=1):
            label = (
                " ".join(part for part in (unit.code, unit.title) if part) or "(no code or title)"
            )
            self.stdout.write(
                f"  unit {index}: {label}: {unit.criteria_count} criteria "
                f"({unit.confidence_percent}% sure)"
            )
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"  warning: {warning}"))

    def _describe(self, name, report):
        self.stdout.write(f"{name}:")
        if report.qualification:
            status = report.qualification_plan.status.replace("_", " ")
            self.stdout.write(f"  qualification {report.qualification}: {status}")
        for plan, unit in zip(report.plans, report.units, strict=True):
            criteria = unit.criteria.count()
            status = plan.status.replace("_", " ")
            self.stdout.write(f"  {status}: {unit} v{unit.version} ({criteria} criteria)")
        for qualification, status in report.carried:
            self.stdout.write(f"  qualification {qualification}: {status.replace('_', ' ')}")
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"  warning: {warning}"))


def _centre(number: str):
    centre = Centre.objects.filter(centre_number=number).first()
    if centre is None:
        raise CommandError(f"Nothing was imported. No centre has the number {number}.")
    return centre


def _catalogue_available() -> bool:
    """Whether a database with the catalogue's tables is there, without creating one: a dry
    run on a fresh checkout must neither need nor make a database."""
    if (
        connection.vendor == "sqlite"
        and not connection.is_in_memory_db()
        and not Path(connection.settings_dict["NAME"]).is_file()
    ):
        return False
    try:
        return Unit._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        return False


def _dumps(data):
    return json.dumps(data, indent=2, ensure_ascii=False)
