"""Applying DocuSign's view of an envelope to ours: statuses, timestamps, history.

One place for every path that learns about a change: Connect webhooks, polling, and a
refresh after embedded signing. Statuses never move backwards; signals go out on commit.
"""

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from envelopes.models import ConnectEvent, Envelope, EnvelopeEvent, Recipient
from envelopes.signals import envelope_status_changed, recipient_completed

Tracked = type[Envelope] | type[Recipient]


def moves_forward(old: str, new: str, model: Tracked = Envelope) -> bool:
    """True if `new` is later than `old` on the model's path (statuses never move back)."""
    if old == new or old in model.FINAL:
        return False
    if new in model.ENDINGS:
        return True
    if new not in model.PROGRESS:
        return False
    return old not in model.PROGRESS or model.PROGRESS.index(new) > model.PROGRESS.index(old)


def _time(value: Any) -> datetime | None:
    return parse_datetime(str(value)) if value else None


@transaction.atomic
def apply_envelope_summary(envelope: Envelope, summary: dict[str, Any], *, source: str) -> bool:
    """Apply a DocuSign envelope (GET envelope JSON, with recipients); True if anything changed.

    The row is locked first: Connect delivers concurrently and out of order, and two workers
    applying at once must not overwrite each other (a late `delivered` undoing `completed`).
    """
    locked = Envelope.objects.select_for_update().get(pk=envelope.pk)
    envelope.status = locked.status
    changed = False
    new = str(summary.get("status") or "")
    old = envelope.status
    if moves_forward(envelope.status, new):
        envelope.status = new
        envelope.completed_at = _time(summary.get("completedDateTime")) or envelope.completed_at
        envelope.voided_reason = str(summary.get("voidedReason") or envelope.voided_reason)[:200]
        envelope.save(update_fields=["status", "completed_at", "voided_reason", "updated_at"])
        EnvelopeEvent.objects.create(
            envelope=envelope, kind=f"envelope-{new}", status=new, source=source
        )
        transaction.on_commit(
            partial(
                envelope_status_changed.send,
                sender=Envelope,
                envelope=envelope,
                old_status=old,
                new_status=new,
                source=source,
            )
        )
        changed = True
    by_id = {r.recipient_id: r for r in envelope.recipients.select_for_update()}
    for kind_list in (summary.get("recipients") or {}).values():
        for item in kind_list if isinstance(kind_list, list) else []:
            recipient = by_id.get(str(item.get("recipientId")))
            if recipient is not None and _apply_recipient(recipient, item):
                if recipient.status == Recipient.Status.COMPLETED:
                    transaction.on_commit(
                        partial(
                            recipient_completed.send,
                            sender=Envelope,
                            envelope=envelope,
                            recipient=recipient,
                        )
                    )
                EnvelopeEvent.objects.create(
                    envelope=envelope,
                    kind=f"recipient-{recipient.status}",
                    status=envelope.status,
                    detail=f"{recipient.name} <{recipient.email}>",
                    source=source,
                )
                changed = True
    return changed


def _apply_recipient(recipient: Recipient, item: dict[str, Any]) -> bool:
    new = str(item.get("status") or "")
    if not moves_forward(recipient.status, new, Recipient):
        return False
    recipient.status = new
    recipient.sent_at = _time(item.get("sentDateTime")) or recipient.sent_at
    recipient.delivered_at = _time(item.get("deliveredDateTime")) or recipient.delivered_at
    recipient.completed_at = _time(item.get("signedDateTime")) or recipient.completed_at
    recipient.declined_at = _time(item.get("declinedDateTime")) or recipient.declined_at
    recipient.declined_reason = str(item.get("declinedReason") or "")[:200]
    recipient.save()
    return True


def apply_connect_event(
    event: ConnectEvent, *, fetch: Callable[[Envelope], dict[str, Any]]
) -> None:
    """Apply a stored Connect message. Unsigned messages are only a hint: `fetch` asks
    DocuSign for the truth. Messages for envelopes we did not send are kept and flagged."""
    envelope = Envelope.objects.filter(
        connection=event.connection, docusign_envelope_id=event.docusign_envelope_id
    ).first()
    if envelope is None:
        event.unknown_envelope = True
    else:
        summary = (event.body.get("data") or {}).get("envelopeSummary")
        if not event.verified or not summary:
            summary = fetch(envelope)
        apply_envelope_summary(envelope, summary, source=EnvelopeEvent.Source.DOCUSIGN)
    event.processed_at = timezone.now()
    event.save(update_fields=["unknown_envelope", "processed_at"])


DRAIN_BATCH = 200
DRAIN_KEY = "envelopes:connect-drain:{}"  # held while a drain runs for a connection


def request_drain(connection_id: int) -> None:
    """Start one task applying this connection's stored messages, unless one is already on it.

    Called after the message is committed: either the running drain still sees it (it looks
    again after releasing the key), or this call starts a new drain. A publish per message
    would cost more than the rest of the request.
    """
    if cache.add(DRAIN_KEY.format(connection_id), 1, timeout=60):
        from envelopes.tasks import drain_connect_events

        drain_connect_events.delay(connection_id)


def drain_connect_events(connection_id: int) -> int:
    """Apply every stored, unapplied Connect message of a connection; returns how many."""
    from connections.docusign import esignature
    from connections.services import get_client

    def fetch(envelope: Envelope) -> dict[str, Any]:
        return esignature.get_envelope(
            get_client(envelope.connection), envelope.docusign_envelope_id, include="recipients"
        )

    applied = 0
    released = False
    while True:
        with transaction.atomic():
            batch = list(
                ConnectEvent.objects.select_for_update(skip_locked=True)
                .select_related("connection")
                .filter(connection_id=connection_id, processed_at__isnull=True)
                .order_by("received_at")[:DRAIN_BATCH]
            )
            for event in batch:
                apply_connect_event(event, fetch=fetch)
        applied += len(batch)
        if batch:
            continue
        if released:
            return applied
        # Release, then look once more: a message committed meanwhile is either seen now
        # or has started a drain of its own.
        cache.delete(DRAIN_KEY.format(connection_id))
        released = True
