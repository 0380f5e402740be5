from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts.models import Centre
from portable.package import PackageRefused, open_package
from portable.plan import tutors_of
from portable.services import portfolio_import


def _refusal(problems: list[str]) -> str:
    return "The package is refused; nothing was imported:\n- " + "\n- ".join(problems)


class Command(BaseCommand):
    help = (
        "Bring a portfolio package (export_portfolio) into a centre of this installation: all "
        "of it, or nothing, naming what is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The package, e.g. portfolio.zip")
        parser.add_argument("--centre", required=True, help="The receiving centre's number.")
        parser.add_argument(
            "--tutor",
            help="Username or e-mail of the learner's tutor at that centre (needed when the "
            "centre has more than one).",
        )

    def handle(self, *args, file, centre, tutor, **options):
        receiving = Centre.objects.filter(centre_number=centre, is_active=True).first()
        if receiving is None:
            raise CommandError(f"No centre numbered {centre}.")
        tutors = tutors_of(receiving)
        if tutor:
            tutors = tutors.filter(Q(username__iexact=tutor) | Q(email__iexact=tutor))
        tutors = list(tutors[:2])
        if len(tutors) != 1:
            raise CommandError(
                f"Name the learner's tutor at {receiving.name} with --tutor."
                if len(tutors) > 1 or not tutor
                else f"{tutor} is not a tutor at {receiving.name}."
            )
        try:
            with open(file, "rb") as source, open_package(source) as package:
                imported = portfolio_import(
                    package=package, centre=receiving, tutor=tutors[0], by=None
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        except PackageRefused as refused:
            raise CommandError(_refusal(refused.problems)) from None
        except ValidationError as error:
            raise CommandError(_refusal(error.messages)) from None
        enrolment = imported.enrolment
        self.stdout.write(
            f"Imported the portfolio of {enrolment.learner} from {imported.source_label} as "
            f"enrolment {enrolment.pk} at {receiving.name}."
        )
