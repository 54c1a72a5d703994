"""How envelopes and recipients move: sent → delivered → completed, declined or voided.

Routing order is respected: recipients of the lowest unfinished routing order are the ones
whose turn it is; carbon copies complete as soon as routing reaches them.
Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/concepts/envelopes/status-codes/
"""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from simulator.esign import connect, notifications
from simulator.models import SimEnvelope, SimRecipient

ACTIVE = ("sent", "delivered")


def current_routing_order(envelope: SimEnvelope) -> int | None:
    pending = [
        r.routing_order
        for r in envelope.recipients.all()
        if r.status in ("created", "sent", "delivered")
    ]
    return min(pending) if pending else None


def is_their_turn(recipient: SimRecipient) -> bool:
    return recipient.status in ACTIVE and recipient.envelope.status in ACTIVE


@transaction.atomic
def send(envelope: SimEnvelope) -> None:
    if envelope.status != "created":
        return
    now = timezone.now()
    envelope.status, envelope.sent = "sent", now
    notifications.schedule_expiry(envelope)
    _touch(envelope, "envelope-sent")
    _route(envelope)


def _route(envelope: SimEnvelope) -> None:
    """Send to everyone at the current routing order; complete carbon copies on the way."""
    while True:
        order = current_routing_order(envelope)
        if order is None:
            return _finish(envelope)
        now = timezone.now()
        waiting = [r for r in envelope.recipients.all() if r.routing_order == order]
        for recipient in waiting:
            if recipient.status == "created":
                recipient.status, recipient.sent = "sent", now
                recipient.notifications_sent += 1
                if recipient.kind == "carbonCopies":
                    recipient.status = "completed"
                recipient.save()
                _publish(envelope, "recipient-sent", recipient)
        if any(r.status in ACTIVE for r in waiting):
            return None


def _finish(envelope: SimEnvelope) -> None:
    if envelope.status in ACTIVE:
        envelope.status, envelope.completed = "completed", timezone.now()
        _touch(envelope, "envelope-completed")


@transaction.atomic
def view(recipient: SimRecipient) -> None:
    """The recipient opened the signing page: `delivered` (and the envelope once all have)."""
    if recipient.status != "sent":
        return
    recipient.status, recipient.delivered = "delivered", timezone.now()
    recipient.save()
    envelope = recipient.envelope
    _publish(envelope, "recipient-delivered", recipient)
    signers = [r for r in envelope.recipients.all() if r.kind != "carbonCopies"]
    if envelope.status == "sent" and all(r.delivered for r in signers):
        envelope.status, envelope.delivered = "delivered", timezone.now()
        _touch(envelope, "envelope-delivered")


@transaction.atomic
def sign(recipient: SimRecipient, values: dict[str, str]) -> None:
    view(recipient)
    now = timezone.now()
    recipient.refresh_from_db()
    recipient.tabs = _with_values(recipient.tabs, values)
    recipient.status, recipient.signed = "completed", now
    recipient.save()
    _publish(recipient.envelope, "recipient-completed", recipient)
    _route(recipient.envelope)


def _with_values(tabs: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    for kind, items in tabs.items():
        filled[kind] = []
        for tab in items if isinstance(items, list) else []:
            label = str(tab.get("tabLabel", ""))
            value = values.get(label, tab.get("value", ""))
            if kind == "signHereTabs":
                value = "signed"
            elif kind == "dateSignedTabs":
                value = timezone.now().strftime("%m/%d/%Y")
            filled[kind].append({**tab, "value": value})
    return filled


@transaction.atomic
def decline(recipient: SimRecipient, reason: str) -> None:
    now = timezone.now()
    recipient.status, recipient.declined, recipient.declined_reason = "declined", now, reason
    recipient.save()
    envelope = recipient.envelope
    _publish(envelope, "recipient-declined", recipient)
    envelope.status, envelope.declined = "declined", now
    _touch(envelope, "envelope-declined")


@transaction.atomic
def void(envelope: SimEnvelope, reason: str) -> None:
    envelope.status, envelope.voided, envelope.voided_reason = "voided", timezone.now(), reason
    _touch(envelope, "envelope-voided")


def resend(envelope: SimEnvelope) -> int:
    """Email again the recipients whose turn it is and who have not acted; how many."""
    count = 0
    # Embedded signers (clientUserId) get no email from DocuSign: nothing to resend to them.
    for recipient in envelope.recipients.filter(status__in=ACTIVE, client_user_id=""):
        recipient.notifications_sent += 1
        recipient.save(update_fields=["notifications_sent"])
        count += 1
    return count


def expire_due() -> int:
    """Void envelopes in flight whose expiry passed on the simulator's clock; how many."""
    due = SimEnvelope.objects.filter(status__in=ACTIVE, expires__lte=notifications.now())
    for envelope in due:
        void(envelope, notifications.EXPIRED_REASON)
    return len(due)


def _touch(envelope: SimEnvelope, event: str) -> None:
    envelope.status_changed = timezone.now()
    envelope.save()
    _publish(envelope, event)


def _publish(envelope: SimEnvelope, event: str, recipient: SimRecipient | None = None) -> None:
    connect.publish(envelope, event, recipient)


def auto_sign_due(account_id: int, *, after_seconds: int) -> int:
    """Sign for remote recipients who have waited `after_seconds` (make run's unattended
    lifecycle). Returns how many signed."""
    if after_seconds <= 0:
        return 0
    due = SimRecipient.objects.filter(
        envelope__account_id=account_id,
        envelope__status__in=ACTIVE,
        status__in=ACTIVE,
        client_user_id="",
        sent__lte=timezone.now() - timedelta(seconds=after_seconds),
    ).exclude(kind="carbonCopies")
    signed = 0
    for recipient in due.select_related("envelope"):
        sign(recipient, {})
        signed += 1
    return signed
