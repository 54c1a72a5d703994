"""A failed envelope, edited and sent again: same row, same history, same documents.

Only a FAILED envelope (DocuSign never made it) may be resubmitted; the edit is checked with
the rules of a first send, then the row is queued for a worker as if new.
"""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from common.dispatch import enqueue_on_commit
from envelopes.composing.prepare import (
    RecipientInput,
    add_recipients,
    check_can_send,
    checked_recipients,
)
from envelopes.history import record_event
from envelopes.models import Envelope


def may_resubmit(envelope: Envelope) -> bool:
    return envelope.status == Envelope.Status.FAILED and not envelope.docusign_envelope_id


@transaction.atomic
def resubmit_envelope(
    *,
    envelope: Envelope,
    actor: User,
    subject: str,
    message: str,
    recipients: list[RecipientInput],
) -> Envelope:
    """Save the edit and queue the envelope again. Raises ValidationError (nothing saved)
    when the envelope did not fail or the edit would not be sendable."""
    envelope = Envelope.objects.select_for_update().get(pk=envelope.pk)
    if not may_resubmit(envelope):
        raise ValidationError(
            f"Only a failed envelope can be edited and sent again; this one is "
            f"{envelope.get_status_display().lower()}.",
            code="not_failed",
        )
    if not subject.strip():
        raise ValidationError("Give the envelope a subject (it is the email's subject).")
    check_can_send(envelope.connection)
    if envelope.sender is None:
        raise ValidationError(
            "This envelope was not sent from Countersign: edit and send it at DocuSign.",
            code="not_ours",
        )
    recipients, signers = checked_recipients(
        envelope.sender,
        recipients,
        from_template=bool(envelope.docusign_template_id),
        connection=envelope.connection,
    )
    envelope.recipients.all().delete()
    add_recipients(envelope, recipients, signers)
    envelope.subject = subject.strip()[:100]
    envelope.message = message
    envelope.status = Envelope.Status.QUEUED
    envelope.send_attempts = 0
    envelope.error_code = envelope.error_detail = ""
    envelope.claimed_at = envelope.next_attempt_at = None
    envelope.save()
    record_event(envelope, "resubmitted", "Edited after the failure and queued again.", actor=actor)
    enqueue_on_commit("envelopes.tasks.send_envelope", str(envelope.pk))
    return envelope
