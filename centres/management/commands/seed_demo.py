from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, seed_demo_centre
from accounts.notifications import without_email
from moderation.demo import seed_demo_moderation
from portfolios.demo import seed_demo_portfolios


class Command(BaseCommand):
    help = "Create (or refresh) the demo centre with one sign-in per role, and print the sign-ins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--learners", type=int, default=0, help="Extra demo learners to add (for trying scale)."
        )

    def handle(self, *args, learners, **options):
        with transaction.atomic(), without_email():
            demo = seed_demo_centre(extra_learners=learners)
            portfolio_notes = seed_demo_portfolios(demo, learners=learners)
            portfolio_notes += seed_demo_moderation(demo)
        self.stdout.write(self.style.SUCCESS(f"Demo centre: {demo.centre}"))
        for note in portfolio_notes:
            self.stdout.write(note)
        self.stdout.write("Sign in at http://127.0.0.1:8000/ with:")
        for role_label, username in demo.sign_ins:
            self.stdout.write(f"  {role_label:<20} {username:<12} password: {DEMO_PASSWORD}")
