"""`make run`'s simulator seed: a simulated app, user, account and consent, and a default
demo connection to them, so a first document can be sent and signed at once."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from simulator.seed import seed_simulator


class Command(BaseCommand):
    help = "Development only: seed the DocuSign simulator and a demo connection to it."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_simulator only runs with DJANGO_DEBUG=true.")
        for line in seed_simulator(site_url=settings.SITE_URL):
            self.stdout.write(line)
