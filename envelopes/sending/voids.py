"""Voiding: asked for on a page, done by a worker, never dropped. A request ends only when
DocuSign has voided the envelope or refused for the envelope's own sake; a problem of the
connection keeps it waiting (envelopes.sending.waiting)."""

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from common.dispatch import enqueue_on_commit
from connections.docusign import esignature
from connections.docusign.errors import DocuSignError
from connections.services import get_client, is_connection_problem
from envelopes.failures import show_failure
from envelopes.history import record_event
from envelopes.models import (
    Envelope,
)
from envelopes.sending import waiting
from envelopes.signing import refresh_from_docusign

logger = logging.getLogger("countersign.envelopes")


def may_void(envelope: Envelope) -> bool:
    return envelope.status in Envelope.VOIDABLE


def request_void(*, envelope: Envelope, reason: str) -> None:
    """Ask for a void: recorded now, done by a worker (retried by the sweep if it is lost)."""
    if not may_void(envelope):
        raise ValidationError("Only envelopes that are out for signature can be voided.")
    if not reason.strip():
        raise ValidationError("Say why the envelope is voided: recipients see the reason.")
    envelope.void_requested_at = timezone.now()
    envelope.voided_reason = reason.strip()[:200]
    envelope.error_code = envelope.error_detail = ""
    envelope.save()
    record_event(envelope, "void-requested", reason)
    enqueue_on_commit("envelopes.tasks.void_envelope", str(envelope.pk))


def void_envelope(*, envelope_id: str) -> Envelope:
    """Void at DocuSign what was asked for. A request is never dropped: retryable errors raise
    (the task retries, then the sweep); a problem of the connection keeps it waiting for the
    connection (envelopes.sending.waiting); only DocuSign's refusal about the envelope itself ends
    it, with the failure on the page, in the history and by email."""
    envelope = Envelope.objects.select_related("connection", "sender").get(pk=envelope_id)
    if envelope.void_requested_at is None or envelope.status not in Envelope.VOIDABLE:
        return envelope
    try:
        esignature.void_envelope(
            get_client(envelope.connection), envelope.docusign_envelope_id, envelope.voided_reason
        )
    except DocuSignError as exc:
        if is_connection_problem(exc):
            return _void_waits(envelope, exc)
        if exc.retryable:
            raise
        if exc.error_code == "ENVELOPE_CANNOT_VOID_INVALID_STATE":
            _learn_status(envelope)  # e.g. completed meanwhile, or voided by a lost attempt
        void_failed(envelope, exc)
        return envelope
    envelope.status, envelope.void_requested_at = Envelope.Status.VOIDED, None
    envelope.waiting_since, envelope.waiting_reason = None, ""
    envelope.save()
    record_event(envelope, "voided", envelope.voided_reason)
    return envelope


def _void_waits(envelope: Envelope, error: DocuSignError) -> Envelope:
    """The void stays requested, without a task, until the connection works again."""
    was_waiting = envelope.waiting_since is not None
    envelope.waiting_since = envelope.waiting_since or timezone.now()
    envelope.waiting_reason = waiting.reason(envelope.connection, error)
    Envelope.objects.filter(pk=envelope.pk).update(
        waiting_since=envelope.waiting_since, waiting_reason=envelope.waiting_reason
    )
    if not was_waiting:
        record_event(envelope, "waiting", envelope.waiting_reason)
    waiting.start_waiting(connection=envelope.connection, error=error, sender=envelope.sender)
    return envelope


def _learn_status(envelope: Envelope) -> None:
    try:
        refresh_from_docusign(envelope=envelope)
    except DocuSignError as exc:
        logger.warning("Could not refresh envelope %s after a refused void: %s", envelope.pk, exc)
    envelope.refresh_from_db()


def void_failed(envelope: Envelope, error: DocuSignError) -> None:
    """The void request ends: done already, or shown as failed with DocuSign's reason."""
    envelope.void_requested_at = envelope.waiting_since = None
    envelope.waiting_reason = ""
    envelope.save(
        update_fields=["void_requested_at", "waiting_since", "waiting_reason", "updated_at"]
    )
    if envelope.status == Envelope.Status.VOIDED:
        record_event(envelope, "voided", "DocuSign had already voided the envelope.")
        return
    show_failure(envelope, kind="void-failed", what="Voiding at DocuSign failed", error=error)
