"""Read queries about connections: the DocuSign API budget used in the last hour."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from connections.models import ApiCall, Connection


@dataclass(frozen=True)
class Budget:
    calls_last_hour: int
    hourly_limit: int
    last_remaining: int | None  # what DocuSign's X-RateLimit-Remaining said last


def api_budget(connection: Connection) -> Budget:
    """Calls to the connection's account in the last hour (all connections sharing it)."""
    since = timezone.now() - timedelta(hours=1)
    calls = ApiCall.objects.filter(created_at__gte=since)
    calls = (
        calls.filter(account_id=connection.account_id)
        if connection.account_id
        else calls.filter(connection=connection)
    )
    last = (
        ApiCall.objects.filter(account_id=connection.account_id, rate_limit_remaining__isnull=False)
        .order_by("-created_at")
        .values_list("rate_limit_remaining", flat=True)
        .first()
    )
    return Budget(calls.count(), settings.DOCUSIGN_HOURLY_LIMIT, last)
