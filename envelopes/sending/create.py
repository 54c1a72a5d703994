"""Sending an envelope to DocuSign exactly once, and reconciling whatever slipped through.

A create is not idempotent and can outlive our read timeout: DocuSign may finish it after we
gave up waiting, and its search (listStatusChanges) may show the envelope only later still.
So a create whose outcome is unknown is never repeated while DocuSign may still be working:
the next attempt looks for an envelope carrying our `countersign_id` until the settle window
(read timeout + search lag) has passed, and only then creates again. What a look-up returns
must carry our ID, not merely match a filter. Reconciliation (envelopes.sending.reconciliation)
links envelopes that a row lost track of and voids proven duplicates.
"""

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.claims import Claims
from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign import esignature
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import DocuSignError, RateLimited
from connections.services import get_client, is_connection_problem, note_failure
from envelopes import retries
from envelopes.failures import describe, show_failure
from envelopes.history import record_event
from envelopes.models import ConnectEvent, Envelope, Recipient
from envelopes.sending import recipient_auth, sender_tabs, waiting
from envelopes.sending.definitions import CUSTOM_FIELD, build_definition
from envelopes.tracking.drain import request_drain

logger = logging.getLogger("countersign.envelopes")


# Envelopes' claims: one worker sends an envelope at a time; a dead worker's is taken over.
CLAIMS = Claims(
    model=Envelope,
    queued=Envelope.Status.QUEUED,
    working=Envelope.Status.SENDING,
    attempts="send_attempts",
    lease=retries.lease,
    related=("connection", "sender"),
    noun="envelope",
)


def send_envelope(*, envelope_id: str) -> Envelope | None:
    """Create the envelope at DocuSign, exactly once; None if there was nothing to do.

    Returns the envelope: sent (or a draft), failed with DocuSign's error and the fix, or
    queued again with `next_attempt_at` (the task reschedules itself for then; the sweep
    catches it if that is lost). Our own infrastructure failing re-raises after putting the
    envelope back in the queue, for the task to retry.
    """
    envelope = CLAIMS.take(envelope_id)
    if envelope is None:
        return None
    started_before, creating = envelope.create_started_at, False
    try:
        client = get_client(envelope.connection)
        summary = None
        if envelope.create_started_at is not None:
            summary = _find_created(client, envelope)
            settled_at = envelope.create_started_at + retries.settle_window()
            if summary is None and timezone.now() < settled_at:
                retry_at = min(
                    settled_at, timezone.now() + retries.SEND.after(envelope.send_attempts)
                )
                return _wait(
                    envelope,
                    retry_at,
                    "An earlier create's outcome is unknown and DocuSign may still be making "
                    "it; looking for it again before creating anything.",
                )
        if summary is None:
            workflow = recipient_auth.workflow_for(client, envelope)  # before the create
            definition = build_definition(envelope, phone_workflow_id=workflow)
            # The token first (cached: no call): failing to get one (consent, Redis) must
            # not leave a create behind whose outcome looks unknown.
            client.token_provider.get()
            _mark_create_started(envelope)
            creating = True
            summary = esignature.create_envelope(client, definition)
        else:
            record_event(
                envelope, "recovered", "Found the envelope an earlier attempt created at DocuSign."
            )
        if sender_tabs.has_sender_tabs(envelope):
            summary = sender_tabs.fill_sender_tabs(client, envelope, summary)
    except RateLimited as exc:
        if creating:  # DocuSign refused the call: nothing was created
            Envelope.objects.filter(pk=envelope.pk).update(create_started_at=started_before)
        return _wait(
            envelope,
            retries.rate_limited_until(exc.retry_at),
            str(exc),
            counts=False,
            waiting_for=describe(exc),
        )
    except DocuSignError as exc:
        if is_connection_problem(exc):
            if creating:  # no token, or the token refused: nothing was created
                Envelope.objects.filter(pk=envelope.pk).update(create_started_at=started_before)
            return _hold(envelope, exc)
        note_failure(connection=envelope.connection, error=exc)
        if creating and refused_outright(exc):
            # DocuSign answered "no": nothing was made, so a later send (a retry, or the
            # sender's corrected envelope) creates at once instead of searching and waiting
            # out the settle window for an envelope that cannot exist.
            Envelope.objects.filter(pk=envelope.pk).update(create_started_at=None)
            envelope.create_started_at = None
        if exc.retryable and envelope.send_attempts < retries.SEND.max_attempts():
            return _wait(
                envelope, timezone.now() + retries.SEND.after(envelope.send_attempts), str(exc)
            )
        return _fail(envelope, exc)
    except INFRASTRUCTURE_ERRORS:
        # Our database, Redis or broker, not DocuSign: the attempt is given back.
        CLAIMS.release(envelope.pk)
        raise
    except Exception as exc:
        logger.exception("Sending envelope %s failed unexpectedly", envelope.pk)
        CLAIMS.release(envelope.pk, gives_back=False)
        raise RuntimeError(f"sending envelope {envelope.pk} failed: {exc}") from exc
    return _link_sent(envelope, summary)


def refused_outright(error: DocuSignError) -> bool:
    """DocuSign answered with a 4xx verdict: the request was refused, nothing was created.
    (A timeout or a 5xx leaves the outcome unknown.)"""
    return error.status is not None and 400 <= error.status < 500


def _mark_create_started(envelope: Envelope) -> None:
    """Committed before the POST leaves: a worker killed mid-create leaves this behind."""
    envelope.create_started_at = timezone.now()
    Envelope.objects.filter(pk=envelope.pk).update(create_started_at=envelope.create_started_at)


def _find_created(client: DocuSignClient, envelope: Envelope) -> dict[str, Any] | None:
    """The envelope an earlier attempt created, if DocuSign's search shows it: the oldest
    carrying our ID (a younger duplicate is the reconciliation sweep's to void)."""
    found = esignature.find_envelopes(
        client,
        custom_field=CUSTOM_FIELD,
        value=str(envelope.pk),
        since=envelope.created_at - timedelta(minutes=5),
    )
    ours = [s for s in found if esignature.text_custom_field(s, CUSTOM_FIELD) == str(envelope.pk)]
    if len(ours) != len(found):
        logger.warning(
            "Look-up for envelope %s returned %d envelope(s) not carrying its ID; ignored",
            envelope.pk,
            len(found) - len(ours),
        )
    return min(ours, key=_created_at) if ours else None


def _created_at(summary: dict[str, Any]) -> datetime:
    value = parse_datetime(str(summary.get("createdDateTime") or ""))
    return value if value is not None else datetime.max.replace(tzinfo=UTC)


def _wait(
    envelope: Envelope,
    retry_at: datetime,
    why: str,
    *,
    counts: bool = True,
    waiting_for: str = "",
) -> Envelope:
    """Back to the queue until `retry_at`; a rate limit does not count as an attempt (and
    its page says what it `waiting_for`)."""
    CLAIMS.requeue(envelope.pk, counts=counts, next_attempt_at=retry_at, waiting_reason=waiting_for)
    envelope.refresh_from_db()
    record_event(envelope, "retrying", f"{why} Next attempt at {retry_at:%H:%M:%S} UTC.")
    return envelope


def _hold(envelope: Envelope, error: DocuSignError) -> Envelope:
    """A problem of the connection, not of this envelope: it stays queued, without a task
    and without counting the attempt, until the connection works again (envelopes.sending.waiting
    re-dispatches it then)."""
    was_waiting = envelope.waiting_since is not None
    CLAIMS.requeue(
        envelope.pk,
        counts=False,
        next_attempt_at=None,
        waiting_since=envelope.waiting_since or timezone.now(),
        waiting_reason=waiting.reason(envelope.connection, error),
    )
    envelope.refresh_from_db()
    if not was_waiting:  # once per wait, not once per re-check
        record_event(envelope, "waiting", envelope.waiting_reason)
    waiting.start_waiting(connection=envelope.connection, error=error, sender=envelope.sender)
    return envelope


def _fail(envelope: Envelope, error: DocuSignError) -> Envelope:
    envelope.status = Envelope.Status.FAILED
    envelope.claimed_at = envelope.next_attempt_at = envelope.waiting_since = None
    envelope.waiting_reason = ""
    envelope.save(
        update_fields=[
            "status",
            "claimed_at",
            "next_attempt_at",
            "waiting_since",
            "waiting_reason",
            "updated_at",
        ]
    )
    show_failure(envelope, kind="failed", what="Sending to DocuSign failed", error=error)
    return envelope


def linked_fields(docusign_envelope_id: str, *, status: str, now: datetime) -> dict[str, Any]:
    """What linking a row to its envelope at DocuSign writes: the ID and status, when it was
    sent, and no error, claim, pending create or next attempt left."""
    return {
        "docusign_envelope_id": docusign_envelope_id,
        "status": status,
        "sent_at": now if status != Envelope.Status.CREATED else None,
        "error_code": "",
        "error_detail": "",
        "claimed_at": None,
        "create_started_at": None,
        "next_attempt_at": None,
    }


def _link_sent(envelope: Envelope, summary: dict[str, Any]) -> Envelope:
    """Save DocuSign's ID, unless our claim was taken over meanwhile (then the other worker
    owns the row, and what we created is a duplicate for the reconciliation to void)."""
    status = str(summary.get("status") or "sent")
    now = timezone.now()
    linked = Envelope.objects.filter(
        pk=envelope.pk, status=Envelope.Status.SENDING, claimed_at=envelope.claimed_at
    ).update(
        **linked_fields(str(summary["envelopeId"]).lower(), status=status, now=now),
        waiting_since=None,
        waiting_reason="",
    )
    envelope.refresh_from_db()
    if not linked:
        logger.warning("Envelope %s was taken over while sending; left to reconcile", envelope.pk)
        return envelope
    if envelope.status == Envelope.Status.SENT:
        mark_first_routing_order_sent(envelope)
    record_event(envelope, envelope.status, f"DocuSign envelope {envelope.docusign_envelope_id}")
    replay_early_connect_messages(envelope)
    return envelope


def mark_first_routing_order_sent(envelope: Envelope) -> None:
    """DocuSign sends to the first routing order at once; no extra call needed to know that."""
    first = min(r.routing_order for r in envelope.recipients.all())
    envelope.recipients.filter(routing_order=first).update(
        status=Recipient.Status.SENT, sent_at=envelope.sent_at
    )


def replay_early_connect_messages(envelope: Envelope) -> None:
    """Connect can report an envelope before we have saved its ID; apply those messages now."""

    early = ConnectEvent.objects.filter(
        connection=envelope.connection,
        docusign_envelope_id=envelope.docusign_envelope_id.lower(),
        unknown_envelope=True,
    ).update(unknown_envelope=False, processed_at=None)
    if early:
        transaction.on_commit(partial(request_drain, envelope.connection_id))
