"""Envelopes the DocuSign account sent outside Countersign, listed when the connection asks.

They are found by the polling Countersign already does (listStatusChanges, one call per
page), never by a call of their own. They have no sender here and are read-only, except void
and download for those with the act permission (envelopes.selectors.can_act).
"""

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connections.models import Connection
from envelopes.models import Envelope, EnvelopeEvent, Recipient, SyncCursor
from envelopes.sending.definitions import CUSTOM_FIELD

logger = logging.getLogger("countersign.envelopes")

# The first listing of a connection looks this far back.
FIRST_LOOKBACK = timedelta(days=30)
# Fields that mark an envelope as ours (a row may not have linked it yet).
OURS = (CUSTOM_FIELD, "countersign_bulk")
KINDS = {
    "signers": Recipient.Kind.SIGNER,
    "inPersonSigners": Recipient.Kind.IN_PERSON,
    "carbonCopies": Recipient.Kind.CARBON_COPY,
    "certifiedDeliveries": Recipient.Kind.CERTIFIED_DELIVERY,
}
LISTED = frozenset(s.value for s in Envelope.Status) - {"queued", "sending", "failed", "batched"}


def is_ours(summary: dict[str, Any]) -> bool:
    fields = (summary.get("customFields") or {}).get("textCustomFields") or []
    return any(isinstance(f, dict) and f.get("name") in OURS for f in fields)


def list_outside_envelope(connection: Connection, summary: dict[str, Any]) -> Envelope | None:
    """A row for an envelope polling found that Countersign did not send; None if it is ours,
    already listed, or in a state we do not show."""
    envelope_id = str(summary.get("envelopeId") or "").lower()
    status = str(summary.get("status") or "")
    if not envelope_id or status not in LISTED or is_ours(summary):
        return None
    sent = parse_datetime(str(summary.get("sentDateTime") or ""))
    try:
        with transaction.atomic():
            envelope = Envelope.objects.create(
                connection=connection,
                sender=None,
                source=Envelope.Source.OUTSIDE,
                subject=str(summary.get("emailSubject") or "(no subject)")[:100],
                docusign_envelope_id=envelope_id,
                status=status,
                sent_at=sent,
                completed_at=parse_datetime(str(summary.get("completedDateTime") or "")),
            )
            for kind_list, kind in KINDS.items():
                for item in (summary.get("recipients") or {}).get(kind_list) or []:
                    _recipient(envelope, kind, item)
            EnvelopeEvent.objects.create(
                envelope=envelope,
                kind="listed-outside",
                status=status,
                detail="Sent outside Countersign; found by status polling.",
                source=EnvelopeEvent.Source.DOCUSIGN,
            )
    except IntegrityError:  # listed meanwhile by another poll
        return None
    logger.info("Listed envelope %s sent outside Countersign", envelope_id)
    return envelope


def _recipient(envelope: Envelope, kind: str, item: dict[str, Any]) -> None:
    status = str(item.get("status") or "created")
    Recipient.objects.create(
        envelope=envelope,
        kind=kind,
        name=str(item.get("name") or "")[:100],
        email=str(item.get("email") or "")[:100],
        routing_order=int(item.get("routingOrder") or 1),
        role_name=str(item.get("roleName") or "")[:100],
        recipient_id=str(item.get("recipientId") or "")[:10],
        status=status if status in Recipient.Status.values else Recipient.Status.CREATED,
    )


def since_for_listing(connection: Connection) -> Any:
    """Where a poll with nothing of ours to watch starts (only when listing outside ones)."""

    cursor = SyncCursor.objects.filter(connection=connection).first()
    return cursor.synced_until if cursor else timezone.now() - FIRST_LOOKBACK
