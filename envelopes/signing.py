"""DocuSign's pages for our users: embedded signing (only in the recipient's turn), the
sender view of a draft, the filled-in values, and a refresh of what DocuSign holds."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from connections.docusign import esignature
from connections.services import get_client
from envelopes.composing import tab_display
from envelopes.history import record_event
from envelopes.models import (
    Envelope,
    EnvelopeEvent,
    Recipient,
)
from envelopes.sending.create import (
    mark_first_routing_order_sent,
)
from envelopes.sending.definitions import docusign_host
from envelopes.tracking.apply import apply_envelope_summary


def signing_url(*, recipient: Recipient, user: User, return_url: str) -> str:
    """Open a signing session for the signer it belongs to, and record who opened it.

    An in-app signer's session opens only for that app user; an in-person signer's only for
    their host. DocuSign records that we authenticated them by password (our login)."""
    envelope = recipient.envelope
    if not recipient.embedded:
        raise ValidationError(f"{recipient.name} signs from DocuSign's email, not here.")
    owner = recipient.host_id if recipient.kind == Recipient.Kind.IN_PERSON else recipient.user_id
    if owner is None or owner != user.pk:
        raise PermissionDenied(f"Only {recipient.name} can open this signing session.")
    waiting_for = not_yet_their_turn(recipient)
    if waiting_for and refresh_from_docusign(envelope=envelope):
        # What we last heard may be behind DocuSign (one GET): the turn may have come.
        recipient.refresh_from_db()
        waiting_for = not_yet_their_turn(recipient)
    if waiting_for:
        raise NotTheirTurn(waiting_for)
    if recipient.kind == Recipient.Kind.IN_PERSON:
        # DocuSign opens an in-person session for its host as named in the envelope: the
        # connection's DocuSign user (the app user who hosts is recorded below).
        try:
            host_name, host_email = docusign_host(envelope.connection)
        except ValueError as exc:
            raise ValidationError(str(exc), code="host_unknown") from None
        identity = {"userName": host_name, "email": host_email}
    else:
        identity = {
            "clientUserId": recipient.client_user_id,
            "userName": recipient.name,
            "email": recipient.email,
        }
    url = esignature.recipient_view(
        get_client(envelope.connection, interactive=True),
        envelope.docusign_envelope_id,
        recipient={**identity, "recipientId": recipient.recipient_id},
        return_url=return_url,
        authentication_method="Password",
    )
    record_event(
        envelope,
        "signing session opened",
        f"{user.get_username()} opened the signing session of {recipient.name}.",
        actor=user,
    )
    return url


class NotTheirTurn(Exception):
    """A signing session asked for before the recipient's routing order is current."""

    def __init__(self, waiting_for: list[Recipient]) -> None:
        self.waiting_for = waiting_for
        super().__init__(waiting_message(waiting_for))


# Recipients whose turn has come: their routing order is the current one, or past it.
_TURN_COME = {"sent", "delivered", "completed", "signed", "declined", "autoresponded"}


_DONE = {"completed", "signed", "declined"}


def not_yet_their_turn(recipient: Recipient) -> list[Recipient]:
    """Who must still act before `recipient` (earlier routing orders not done), as we last
    heard from DocuSign; empty when it is their turn. DocuSign routes in order, so a
    recipient whose own status shows they were sent the envelope is never held back."""
    if recipient.status in _TURN_COME:
        return []
    return list(
        recipient.envelope.recipients.filter(routing_order__lt=recipient.routing_order)
        .exclude(status__in=_DONE)
        .exclude(kind__in=[Recipient.Kind.CARBON_COPY])
        .order_by("routing_order", "recipient_id")
    )


def waiting_message(waiting_for: list[Recipient]) -> str:
    people = ", ".join(f"{r.name} (routing order {r.routing_order})" for r in waiting_for)
    verb = "to sign" if len(waiting_for) == 1 else "to act"
    return f"Waiting for {people} {verb}."


def tab_values(*, envelope: Envelope, recipient: Recipient) -> dict[str, str]:
    """What the recipient filled in, by tab label."""
    tabs = esignature.recipient_tabs(
        get_client(envelope.connection), envelope.docusign_envelope_id, recipient.recipient_id
    )
    return tab_display.filled_values(tabs)


def refresh_from_docusign(*, envelope: Envelope) -> bool:
    """One GET of the envelope with its recipients, applied (e.g. after embedded signing)."""
    if not envelope.docusign_envelope_id:
        return False
    summary = esignature.get_envelope(
        get_client(envelope.connection), envelope.docusign_envelope_id, include="recipients"
    )
    return apply_envelope_summary(envelope, summary, source=EnvelopeEvent.Source.DOCUSIGN)


def sending_url(*, envelope: Envelope, return_url: str) -> str:
    """DocuSign's sending view for a draft: place fields, then send."""
    if envelope.status != Envelope.Status.CREATED:
        raise ValidationError("Only drafts at DocuSign can be prepared in the sending view.")
    if envelope.is_outside:
        raise ValidationError("This draft was made outside Countersign: prepare it at DocuSign.")
    return esignature.sender_view(
        get_client(envelope.connection), envelope.docusign_envelope_id, return_url=return_url
    )


def send_draft(*, envelope: Envelope) -> None:
    if envelope.status != Envelope.Status.CREATED:
        raise ValidationError("This envelope is not a draft.")
    if envelope.is_outside:
        raise ValidationError("This draft was made outside Countersign: send it from DocuSign.")
    esignature.send_draft(get_client(envelope.connection), envelope.docusign_envelope_id)
    envelope.status, envelope.sent_at = Envelope.Status.SENT, timezone.now()
    envelope.save()
    mark_first_routing_order_sent(envelope)
    record_event(envelope, "sent", "The draft was sent.")
