"""Applying DocuSign's view of an envelope to ours: statuses, timestamps, history.

One place for every path that learns about a change (a refresh after embedded signing now;
Connect webhooks and polling later). Statuses never move backwards.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from envelopes.models import Envelope, EnvelopeEvent, Recipient

_ORDER = ["queued", "sending", "created", "sent", "delivered", "signed", "completed"]
_FINAL = {"completed", "declined", "voided", "failed"}


def moves_forward(old: str, new: str) -> bool:
    if old == new or old in _FINAL:
        return False
    if new in ("declined", "voided"):
        return True
    if new not in _ORDER:
        return False
    return old not in _ORDER or _ORDER.index(new) > _ORDER.index(old)


def _time(value: Any) -> datetime | None:
    return parse_datetime(str(value)) if value else None


@transaction.atomic
def apply_envelope_summary(envelope: Envelope, summary: dict[str, Any], *, source: str) -> bool:
    """Apply a DocuSign envelope (GET envelope JSON, with recipients); True if anything changed."""
    changed = False
    new = str(summary.get("status") or "")
    if moves_forward(envelope.status, new):
        envelope.status = new
        envelope.completed_at = _time(summary.get("completedDateTime")) or envelope.completed_at
        envelope.voided_reason = str(summary.get("voidedReason") or envelope.voided_reason)[:200]
        envelope.save()
        EnvelopeEvent.objects.create(
            envelope=envelope, kind=f"envelope-{new}", status=new, source=source
        )
        changed = True
    by_id = {r.recipient_id: r for r in envelope.recipients.all()}
    for kind_list in (summary.get("recipients") or {}).values():
        for item in kind_list if isinstance(kind_list, list) else []:
            recipient = by_id.get(str(item.get("recipientId")))
            if recipient is not None and _apply_recipient(recipient, item):
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
    if not moves_forward(recipient.status, new):
        return False
    recipient.status = new
    recipient.sent_at = _time(item.get("sentDateTime")) or recipient.sent_at
    recipient.delivered_at = _time(item.get("deliveredDateTime")) or recipient.delivered_at
    recipient.completed_at = _time(item.get("signedDateTime")) or recipient.completed_at
    recipient.declined_at = _time(item.get("declinedDateTime")) or recipient.declined_at
    recipient.declined_reason = str(item.get("declinedReason") or "")[:200]
    recipient.save()
    return True
