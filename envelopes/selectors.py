"""Read queries for envelope pages: who may see what, filtered, with constant query counts."""

from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from envelopes.models import ConnectEvent, Envelope
from envelopes.sending import send_lease


def can_see_all(user: User | AnonymousUser) -> bool:
    return bool(user.is_staff or user.has_perm("envelopes.view_all_envelopes"))


def visible_envelopes(user: User | AnonymousUser) -> QuerySet[Envelope]:
    envelopes = Envelope.objects.select_related("connection", "sender")
    return envelopes if can_see_all(user) else envelopes.filter(sender_id=user.pk)


def filtered_envelopes(user: User | AnonymousUser, filters: dict[str, Any]) -> QuerySet[Envelope]:
    envelopes = visible_envelopes(user)
    if filters.get("status"):
        envelopes = envelopes.filter(status=filters["status"])
    if filters.get("connection"):
        envelopes = envelopes.filter(connection=filters["connection"])
    if filters.get("template"):
        template = filters["template"]
        envelopes = envelopes.filter(docusign_template_name__icontains=template) | envelopes.filter(
            document_template__name__icontains=template
        )
    if filters.get("sender"):
        envelopes = envelopes.filter(sender__username__icontains=filters["sender"])
    since: date | None = filters.get("since")
    until: date | None = filters.get("until")
    if since:
        envelopes = envelopes.filter(created_at__date__gte=since)
    if until:
        envelopes = envelopes.filter(created_at__date__lte=until)
    return envelopes.order_by("-created_at")


# --- Stuck work (the status page, metrics and sweeps share these definitions) -----------
WAITING = (Envelope.Status.QUEUED, Envelope.Status.SENDING)


def stuck_envelopes(now: datetime | None = None) -> QuerySet[Envelope]:
    """Envelopes no worker is moving: queued and untouched, or claimed by a sender whose
    lease ran out (it died, or lost its connection, mid-send)."""
    since = (now or timezone.now()) - send_lease()  # a claim older than the lease is dead
    return Envelope.objects.filter(
        Q(status=Envelope.Status.QUEUED, updated_at__lt=since)
        | Q(status=Envelope.Status.SENDING, claimed_at__lt=since)
    )


def stuck_connect_events(now: datetime | None = None) -> QuerySet[ConnectEvent]:
    """Connect messages stored but not applied for longer than a drain should take."""
    since = (now or timezone.now()) - send_lease()  # a claim older than the lease is dead
    return ConnectEvent.objects.filter(processed_at__isnull=True, received_at__lt=since)
