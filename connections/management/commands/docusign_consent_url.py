"""`manage.py docusign_consent_url NAME [--email [ADDRESS]]`: a new consent link for a
connection's impersonated user, printed, or emailed (to ADDRESS or the connection's user)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections import consent
from connections.models import Connection


class Command(BaseCommand):
    help = (
        "Print a new consent link for a DocuSign connection (older links stop working); "
        "--email sends it to the impersonated user instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The connection's name (see the admin).")
        parser.add_argument(
            "--email",
            nargs="?",
            const="",
            default=None,
            metavar="ADDRESS",
            help="Email the link (to ADDRESS, or to the connection's impersonated user).",
        )

    def handle(self, *args: Any, name: str, email: str | None, **options: Any) -> None:
        connection = Connection.objects.filter(name=name).first()
        if connection is None:
            names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No connection named {name!r}. Existing connections: {names}.")
        if connection.uses_admin_consent:
            raise CommandError(
                f"{connection.name} uses administrative consent: an organisation admin granted "
                "it, no individual link is needed. Untick 'administrative consent' to use one."
            )
        if not (connection.integration_key and connection.user_id):
            raise CommandError(
                f"{connection.name} has no integration key or user ID yet: finish the setup "
                "wizard's first steps (Set up DocuSign) first."
            )
        if email is not None:
            address = email or connection.user_email
            if not address:
                raise CommandError(
                    f"{connection.name} has no impersonated user's email: give one, "
                    "e.g. --email dana@example.com."
                )
            consent.request_consent(connection=connection, requested_by=None, email=address)
            self.stdout.write(self.style.SUCCESS(f"Consent link emailed to {address}."))
            return
        request = consent.request_consent(connection=connection, requested_by=None)
        self.stdout.write(consent.link_for(request))
        self.stderr.write(
            f"Open it as the DocuSign user {connection.user_email or connection.user_id} and "
            "choose Allow access. A newer link replaces this one; the page DocuSign returns "
            "to then checks with DocuSign that the consent is there."
        )
