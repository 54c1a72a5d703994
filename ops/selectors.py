"""Read queries for the System status page and the metrics: per connection, from our own
database (ApiCall, Envelope, ConnectEvent) and the shared DocuSign budget (Redis). Nothing
here calls DocuSign."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from connections.budget import BudgetState
from connections.models import ApiCall, Connection
from connections.selectors import Budget, api_budget, shared_budget
from envelopes.models import ConnectEvent, Envelope
from envelopes.selectors import WAITING, stuck_envelopes

TOKEN_PATH = "/oauth/token"  # noqa: S105 - the JWT Grant endpoint, not a secret


def operation(method: str, path: str) -> str:
    return f"{method} {path}"


@dataclass(frozen=True)
class ConnectionStatus:
    connection: Connection
    budget: Budget  # history: calls recorded in ApiCall in the last hour
    shared: BudgetState | None  # what the shared budget says now (None: no account, no cache)
    calls_by_kind: list[tuple[str, int]]  # (operation, calls in the last hour), busiest first
    waiting: int
    stuck: int
    last_connect_at: datetime | None
    oldest_unprocessed_at: datetime | None  # parked messages aside (counted in `parked`)
    parked: int = 0  # Connect messages the drain parked for staff (retry or discard)


def connection_statuses(now: datetime | None = None) -> list[ConnectionStatus]:
    now = now or timezone.now()
    since = now - timedelta(hours=1)
    connections = list(Connection.objects.order_by("name"))
    kinds: dict[int, list[tuple[str, int]]] = {}
    for row in (
        ApiCall.objects.filter(created_at__gte=since, connection__isnull=False)
        .values("connection_id", "method", "path")
        .annotate(n=Count("id"))
        .order_by("-n")
    ):
        kinds.setdefault(row["connection_id"], []).append(
            (operation(row["method"], row["path"]), row["n"])
        )
    waiting = dict(
        Envelope.objects.filter(status__in=WAITING)
        .values_list("connection_id")
        .annotate(n=Count("id"))
        .values_list("connection_id", "n")
    )
    stuck = dict(
        stuck_envelopes(now)
        .values_list("connection_id")
        .annotate(n=Count("id"))
        .values_list("connection_id", "n")
    )
    connect = {
        row["connection_id"]: row
        for row in ConnectEvent.objects.values("connection_id").annotate(
            last=Max("received_at"),
            oldest_unprocessed=Min(
                "received_at", filter=Q(processed_at__isnull=True, parked_at__isnull=True)
            ),
            parked=Count("id", filter=Q(parked_at__isnull=False, discarded_at__isnull=True)),
        )
    }
    return [
        ConnectionStatus(
            connection=c,
            budget=api_budget(c),
            shared=shared_budget(c),
            calls_by_kind=kinds.get(c.pk, []),
            waiting=waiting.get(c.pk, 0),
            stuck=stuck.get(c.pk, 0),
            last_connect_at=connect.get(c.pk, {}).get("last"),
            oldest_unprocessed_at=connect.get(c.pk, {}).get("oldest_unprocessed"),
            parked=connect.get(c.pk, {}).get("parked", 0),
        )
        for c in connections
    ]
