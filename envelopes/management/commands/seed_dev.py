"""`make run`'s seed: a staff login and a sample document template. With the simulator on,
`make run` also runs the simulator's own `seed_simulator` for a demo connection to it."""

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from envelopes.models import DocumentTemplate

SAMPLE_BODY = """<h1>Services agreement</h1>
<p>This agreement is between <strong>{{ company }}</strong> ("the client") and the provider,
for {{ services }}, starting {{ start_date }}.</p>
<p>Client: /sig1/ Date: /date1/</p>
<p>Provider: /sig2/ Date: /date2/</p>"""
SAMPLE_FIELDS = [
    {"name": "company", "label": "Client company", "required": True},
    {"name": "services", "label": "Services", "required": True},
    {"name": "start_date", "label": "Start date", "required": False},
]


class Command(BaseCommand):
    help = "Development only: create or reset the staff login and a sample template."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Set the password even if the login exists (it is kept otherwise).",
        )

    def handle(self, *args: Any, username: str, reset_password: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_dev only runs with DJANGO_DEBUG=true (it sets a password).")
        # `make run` keeps the password in .env (DEV_STAFF_PASSWORD) so it survives restarts.
        password = os.environ.get("DEV_STAFF_PASSWORD") or secrets.token_urlsafe(9)
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        user.is_staff = user.is_superuser = True
        if created or reset_password:
            user.set_password(password)  # otherwise sessions (and a changed password) survive
        user.save()
        login = (
            f"{username} / {password}"
            if user.check_password(password)
            else f"{username} (password changed since; `make run RESET_PASSWORD=1` sets a new one)"
        )
        DocumentTemplate.objects.get_or_create(
            name="Services agreement (sample)",
            defaults={"body": SAMPLE_BODY, "fields": SAMPLE_FIELDS},
        )
        self.stdout.write(
            self.style.SUCCESS(f"Staff login: {login}  (admin: {settings.SITE_URL}/admin/)")
        )
        self.stdout.write(
            f"Send a first document: {settings.SITE_URL}/envelopes/new/ (sample template, tick "
            "'Signs here, in this app', then 'Sign now')."
        )
