"""Read queries about connections: who may use which, and the API budget of the last hour."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from connections.budget import BudgetState, SharedBudget
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


def shared_budget(connection: Connection) -> BudgetState | None:
    """The account's shared budget as every worker sees it (connections.budget); None
    before the account is known or when the cache cannot be reached."""
    if not connection.account_id:
        return None
    return SharedBudget(connection.account_id).state()


def usable_connections(user: User | AnonymousUser) -> QuerySet[Connection]:
    """The connections this user may use: their team's or no team's, and restricted to none of
    the groups or to one of theirs (sending also needs the send permission)."""
    if not user.is_authenticated or not user.is_active:
        return Connection.objects.none()
    if user.is_superuser:
        return Connection.objects.order_by("environment", "name")
    teams = Q(team__isnull=True) | Q(team__members=user)
    groups = Q(allowed_groups__isnull=True) | Q(allowed_groups__user=user)
    return Connection.objects.filter(teams & groups).distinct().order_by("environment", "name")
