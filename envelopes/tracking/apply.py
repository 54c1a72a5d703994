"""Applying DocuSign's view of an envelope to ours: statuses only move forward, recipients
follow, history and signals are written once. Every path that learns of a change ends here:
Connect messages (prepared in batches), polling and a refresh after signing."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.dispatch import enqueue
from envelopes.models import ConnectEvent, Envelope, EnvelopeEvent, Recipient
from envelopes.signals import envelope_status_changed, recipient_completed
from envelopes.tracking.hints import Fetch
from envelopes.tracking.outcomes import MalformedMessage

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
    by_id = {r.recipient_id: r for r in envelope.recipients.select_for_update()}
    return apply_locked_summary(envelope, by_id, summary, source=source)


def apply_locked_summary(
    envelope: Envelope, recipients: dict[str, Recipient], summary: dict[str, Any], *, source: str
) -> bool:
    """apply_envelope_summary on an envelope (and its recipients by recipientId) already
    locked in the current transaction, with its current status."""
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
        if new == Envelope.Status.COMPLETED:
            transaction.on_commit(partial(keep_signed_documents_later, envelope))
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
    for kind_list in (summary.get("recipients") or {}).values():
        for item in kind_list if isinstance(kind_list, list) else []:
            recipient = recipients.get(str(item.get("recipientId")))
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


def keep_signed_documents_later(envelope: Envelope) -> None:
    """Keep a completed envelope's documents. Where Connect is set up, its completed message
    may carry them (stored as it arrives): wait a little for it before spending a call."""
    connect = bool(envelope.connection.hmac_secrets())
    wait = settings.ENVELOPES_DOCUMENTS_CONNECT_WAIT if connect else 0
    enqueue("envelopes.tasks.keep_signed_documents", str(envelope.pk), countdown=wait)


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


NOT_CHECKED = "unsigned hint not checked (coalesced or over its budget)"


@dataclass
class Prepared:
    """A message ready to apply: its envelope (None: not ours) and DocuSign's summary (None:
    an unsigned hint not checked)."""

    event: ConnectEvent
    envelope: Envelope | None
    summary: dict[str, Any] | None


def summary_in(event: ConnectEvent) -> dict[str, Any] | None:
    """The envelopeSummary a signed message carries (None: it has none, fetch it)."""
    data = event.body.get("data") if isinstance(event.body, dict) else None
    if not isinstance(data, dict):
        raise MalformedMessage("the message has no 'data' object")
    summary = data.get("envelopeSummary")
    if summary and not isinstance(summary, dict):
        raise MalformedMessage("'data.envelopeSummary' is not a JSON object")
    if isinstance(summary, dict) and not isinstance(summary.get("recipients") or {}, dict):
        raise MalformedMessage("'data.envelopeSummary.recipients' is not a JSON object")
    return summary or None


def prepare(event: ConnectEvent, envelope: Envelope | None, *, fetch: Fetch) -> Prepared:
    """What applying `event` needs, asking DocuSign when the message does not say (an
    unsigned hint, or a signed message without a summary). No transaction is open: a fetch
    takes seconds when DocuSign is slow, and no lock may be held meanwhile."""
    # An unsigned message's summary is never used (anyone may have written it).
    summary = summary_in(event) if envelope is not None and event.verified else None
    if envelope is not None and summary is None:
        summary = fetch(envelope)
        if summary is not None and not isinstance(summary, dict):
            raise MalformedMessage("DocuSign's envelope is not a JSON object")
    return Prepared(event, envelope, summary)


def apply_prepared(items: list[Prepared]) -> int:
    """Apply several messages in one short transaction; returns how many this call applied
    (a message another drain applied meanwhile is skipped).

    Rows are locked in one statement each (messages, then envelopes, then recipients, each
    in primary-key order, so two drains never deadlock), the messages marked applied in at
    most three statements: a burst costs a few queries per batch, not ten per message.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = set(
            ConnectEvent.objects.select_for_update(of=("self",))
            .filter(
                pk__in=[i.event.pk for i in items],
                processed_at__isnull=True,
                parked_at__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        wanted = sorted({i.envelope.pk for i in items if i.envelope and i.event.pk in claimed})
        locked = Envelope.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        envelopes = {e.pk: e for e in locked}
        recipients: dict[Any, dict[str, Recipient]] = {pk: {} for pk in envelopes}
        for recipient in (
            Recipient.objects.select_for_update().filter(envelope_id__in=wanted).order_by("pk")
        ):
            recipients[recipient.envelope_id][recipient.recipient_id] = recipient
        marks: dict[tuple[bool, str], list[int]] = {}
        for item in items:
            if item.event.pk not in claimed:
                continue  # another drain applied it meanwhile
            envelope = envelopes.get(item.envelope.pk) if item.envelope else None
            note = item.event.note
            if envelope is None:
                unknown = True
            elif item.summary is None:
                unknown, note = False, NOT_CHECKED
            else:
                unknown = False
                apply_locked_summary(
                    envelope,
                    recipients[envelope.pk],
                    item.summary,
                    source=EnvelopeEvent.Source.DOCUSIGN,
                )
            marks.setdefault((unknown, note), []).append(item.event.pk)
            item.event.processed_at, item.event.unknown_envelope = now, unknown
            item.event.note = note
        for (unknown, note), pks in marks.items():
            ConnectEvent.objects.filter(pk__in=pks).update(
                processed_at=now, unknown_envelope=unknown, note=note, next_attempt_at=None
            )
    return len(claimed)
