"""voronka ensure-admin: make sure an administrator exists and print how to sign in."""

import os

from django.core.management.base import BaseCommand

from voronka.accounts.models import User
from voronka.accounts.services import create_user


class Command(BaseCommand):
    help = "Create the administrator (login and password from VORONKA_ADMIN_USER / VORONKA_ADMIN_PASSWORD, default admin/admin) once."

    def handle(self, *args, **options):
        username = os.environ.get("VORONKA_ADMIN_USER", "admin")
        password = os.environ.get("VORONKA_ADMIN_PASSWORD", "admin")
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Administrator “{username}” exists; sign in with its password (default: {password})."
            )
            return
        create_user(
            username=username,
            password=password,
            first_name="Admin",
            email="admin@voronka.example",
            role="administrator",
            is_superuser=True,
        )
        self.stdout.write(self.style.SUCCESS(f"Administrator created. Sign in as {username} / {password}."))
