"""Create the demo superuser once, with a generated password printed only that once."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo admin user if it does not exist; print its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Demo admin '{username}' already exists (password printed on the first run; "
                f"reset it with: python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="admin@localhost", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin created: user name '{username}', password '{password}' "
                f"(shown once; log in at {settings.SITE_URL}/admin/)"
            )
        )
