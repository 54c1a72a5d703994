"""Applying DocuSign's view of an envelope to ours: statuses, timestamps, history.

One place for every path that learns about a change: Connect webhooks, polling, and a
refresh after embedded signing. Statuses never move backwards; signals go out on commit.
"""

import logging
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

logger = logging.getLogger("countersign.connect")

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
    DocuSign for the truth. Messages for envelopes we did not send are kept and flagged.

    Call it outside any transaction: `fetch` talks to DocuSign (seconds, when DocuSign is
    slow), and no lock may be held meanwhile; the writes that follow are short transactions.
    """
    envelope = Envelope.objects.filter(
        connection_id=event.connection_id, docusign_envelope_id=event.docusign_envelope_id
    ).first()
    summary = None
    if envelope is not None:
        summary = (event.body.get("data") or {}).get("envelopeSummary")
        if not event.verified or not summary:
            summary = fetch(envelope)
    with transaction.atomic():
        fresh = (
            ConnectEvent.objects.select_for_update(of=("self",))
            .filter(pk=event.pk, processed_at__isnull=True)
            .first()
        )
        if fresh is None:
            return  # another drain applied it meanwhile
        if envelope is None:
            fresh.unknown_envelope = True
        else:
            apply_envelope_summary(envelope, summary or {}, source=EnvelopeEvent.Source.DOCUSIGN)
        fresh.processed_at = timezone.now()
        fresh.save(update_fields=["unknown_envelope", "processed_at"])
        event.processed_at, event.unknown_envelope = fresh.processed_at, fresh.unknown_envelope


DRAIN_BATCH = 200
DRAIN_KEY = "envelopes:connect-drain:{}"  # held while a drain runs for a connection
# A running drain renews its key after each message; a crashed one's key lapses this soon,
# and the sweep (every ENVELOPES_SWEEP_SECONDS) starts a new drain.
DRAIN_KEY_SECONDS = 30


def request_drain(connection_id: int) -> bool:
    """Start one task applying this connection's stored messages, unless one is already on it.

    Called after the message is committed: either the running drain still sees it (it looks
    again after releasing the key), or this call starts a new drain. A publish per message
    would cost more than the rest of the request. True if a drain was started.
    """
    from envelopes.sending import INFRASTRUCTURE_ERRORS
    from envelopes.services import enqueue
    from envelopes.tasks import drain_connect_events

    try:
        if not cache.add(DRAIN_KEY.format(connection_id), 1, timeout=DRAIN_KEY_SECONDS):
            return False
    except INFRASTRUCTURE_ERRORS as exc:  # Redis down: the message is stored; the sweep drains
        logger.warning("Connect drain not started (%s); the sweep will", type(exc).__name__)
        return False
    enqueue(drain_connect_events, connection_id)
    return True


def drain_connect_events(connection_id: int) -> int:
    """Apply every stored, unapplied Connect message of a connection; returns how many.

    Reads a batch without locking anything, then applies each message on its own (a DocuSign
    fetch, then a short transaction). The drain key is renewed as it goes; if this process
    dies, the key lapses and the sweep starts another drain.
    """
    from connections.docusign import esignature
    from connections.models import Connection
    from connections.services import get_client

    key = DRAIN_KEY.format(connection_id)
    connection = Connection.objects.get(pk=connection_id)
    clients: list[Any] = []

    def fetch(envelope: Envelope) -> dict[str, Any]:
        if not clients:
            clients.append(get_client(connection))
        return esignature.get_envelope(
            clients[0], envelope.docusign_envelope_id, include="recipients"
        )

    applied = 0
    released = False
    while True:
        batch = list(
            ConnectEvent.objects.filter(
                connection_id=connection_id, processed_at__isnull=True
            ).order_by("received_at", "pk")[:DRAIN_BATCH]
        )
        for event in batch:
            apply_connect_event(event, fetch=fetch)
            _renew(key)
        applied += len(batch)
        if batch:
            continue
        if released:
            return applied
        # Release, then look once more: a message committed meanwhile is either seen now
        # or has started a drain of its own.
        _release(key)
        released = True


def _renew(key: str) -> None:
    from envelopes.sending import INFRASTRUCTURE_ERRORS

    try:
        cache.set(key, 1, timeout=DRAIN_KEY_SECONDS)
    except INFRASTRUCTURE_ERRORS as exc:  # the key lapses; the sweep starts a drain if needed
        logger.warning("Could not renew the Connect drain key: %s", type(exc).__name__)


def _release(key: str) -> None:
    from envelopes.sending import INFRASTRUCTURE_ERRORS

    try:
        cache.delete(key)
    except INFRASTRUCTURE_ERRORS as exc:  # it lapses by itself
        logger.warning("Could not release the Connect drain key: %s", type(exc).__name__)
