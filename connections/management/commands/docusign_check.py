"""`manage.py docusign_check NAME`: run the connection check and print each step."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import Connection
from connections.services import check_connection


class Command(BaseCommand):
    help = "Check a DocuSign connection end to end. Exit status 0 when healthy, 1 otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The connection's name (see the admin).")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        connection = Connection.objects.filter(name=name).first()
        if connection is None:
            names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No connection named {name!r}. Existing connections: {names}.")
        result = check_connection(connection=connection)
        for step in result.steps:
            mark = self.style.SUCCESS("✓") if step.ok else self.style.ERROR("✗")
            self.stdout.write(f"{mark} {step.name}" + (f": {step.message}" if step.message else ""))
        if result.error is None:
            self.stdout.write(self.style.SUCCESS(f"{connection.name} is connected."))
            return
        self.stdout.write("")
        self.stdout.write(self.style.ERROR(str(result.error)))
        self.stdout.write(f"How to fix: {result.error.advice}")
        for account in result.accounts:
            default = " (default)" if account.is_default else ""
            self.stdout.write(f"  - {account.account_name}: {account.account_id}{default}")
        raise CommandError(f"{connection.name} is not healthy.", returncode=1)
