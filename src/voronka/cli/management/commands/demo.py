"""voronka demo: fill the database with a believable demo company."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from voronka.activities.services.demo import build_demo_activities
from voronka.crm.models import Deal, Lead
from voronka.crm.services.demo import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Fill the database with a demo company: 8 users, a year of leads and deals with their histories."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="the same seed gives the same company")
        parser.add_argument("--leads", type=int, default=3000)
        parser.add_argument("--deals", type=int, default=1200)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the CRM already has leads"
        )

    def handle(self, *args, seed, leads, deals, if_empty, **options):
        if if_empty and (Lead.objects.exists() or Deal.objects.exists()):
            self.stdout.write("The CRM has data already; demo data not loaded.")
            return
        now = timezone.now()
        with transaction.atomic():  # all of the demo company, or nothing
            demo = build_demo(seed=seed, leads=leads, deals=deals, now=now)
            activities = build_demo_activities(seed=seed, now=now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company: {demo.leads} leads, {demo.deals} deals, {demo.contacts} contacts, "
                f"{demo.companies} companies, {demo.history} stage history rows, {activities} activities."
            )
        )
        logins = ", ".join(user.username for user in demo.users)
        self.stdout.write(f"Demo users ({logins}) sign in with the password {DEMO_PASSWORD}.")
