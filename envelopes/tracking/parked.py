"""Parked Connect messages: what staff see and do about messages the drain could not apply
(envelopes.tracking.outcomes). Retrying puts a message back in line; discarding keeps it,
marked, for the audit trail, and it is never applied."""

from functools import partial

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from connections.models import Connection
from envelopes.models import ConnectEvent
from envelopes.tracking.drain import request_drain


def parked(connection: Connection) -> QuerySet[ConnectEvent]:
    """Messages waiting for staff, oldest first."""
    return ConnectEvent.objects.filter(
        connection=connection, parked_at__isnull=False, discarded_at__isnull=True
    ).order_by("parked_at", "pk")


def parked_counts() -> dict[int, int]:
    """Parked messages per connection id."""
    return dict(
        ConnectEvent.objects.filter(parked_at__isnull=False, discarded_at__isnull=True)
        .values_list("connection_id")
        .annotate(n=Count("id"))
        .values_list("connection_id", "n")
        .order_by()
    )


def retry(*, event: ConnectEvent) -> bool:
    """Put a parked message back in line (its attempts start again) and start a drain; False
    if it is no longer parked (retried or discarded by someone else meanwhile)."""
    with transaction.atomic():
        changed = ConnectEvent.objects.filter(
            pk=event.pk, parked_at__isnull=False, discarded_at__isnull=True
        ).update(parked_at=None, next_attempt_at=None, attempts=0)
        if changed:
            transaction.on_commit(partial(request_drain, event.connection_id))
    return bool(changed)


def discard(*, event: ConnectEvent, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Mark a parked message as never to be applied; it stays stored with its reason and who
    discarded it. False if it is no longer parked."""
    note = f"discarded by {user.get_username()}"[:100]
    changed = ConnectEvent.objects.filter(
        pk=event.pk, parked_at__isnull=False, discarded_at__isnull=True
    ).update(discarded_at=timezone.now(), note=note)
    return bool(changed)
