"""Celery tasks for envelopes: thin wrappers around services.

Retries: our own infrastructure failing (database, Redis, broker) is always retried; a
DocuSign error only when DocuSign marks it retryable, and a rate limit at the time DocuSign
accepts calls again (a countdown, never a sleep). Non-retryable errors end at once, visibly.
"""

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign.errors import DocuSignError, RateLimited
from connections.models import Connection
from connections.services import get_client
from envelopes import retries, signing
from envelopes.bulk import batches, lifecycle
from envelopes.changes import corrections
from envelopes.documents import kept
from envelopes.models import Envelope
from envelopes.sending import create, voids
from envelopes.tracking import drain as tracking
from envelopes.tracking import polling, sweeps

logger = logging.getLogger("countersign.envelopes")


def _retry_later(task: Any, exc: DocuSignError, policy: retries.Retry) -> None:
    """Reschedule `task` for a retryable DocuSign error, or log and stop for any other."""
    if not exc.retryable:
        logger.warning("%s stopped: %s", task.name, exc)
        return
    if isinstance(exc, RateLimited) and exc.retry_at is not None:
        countdown = retries.seconds_until(exc.retry_at)
    else:
        countdown = policy.seconds(task.request.retries + 1)
    raise task.retry(exc=exc, countdown=countdown, max_retries=task.max_retries)


@shared_task(bind=True, acks_late=True, **retries.celery_retries())
def send_envelope(self: Any, envelope_id: str) -> str:
    envelope = create.send_envelope(envelope_id=envelope_id)
    if envelope is None:
        return "skipped"
    waiting = envelope.status == envelope.Status.QUEUED and envelope.next_attempt_at is not None
    # Inline (eager) tasks cannot wait: the sweep sends it when it is due.
    if waiting and not self.request.is_eager:
        try:
            send_envelope.apply_async((envelope_id,), eta=envelope.next_attempt_at)
        except INFRASTRUCTURE_ERRORS as exc:
            logger.warning("Could not reschedule %s (%s); the sweep will", envelope_id, exc)
    return str(envelope.status)


def _again_in(exc: DocuSignError, attempt: int, policy: retries.Retry) -> float:
    """Seconds until the next try: when DocuSign accepts calls again, else the policy's wait
    after `attempt` + 1 tries."""
    if isinstance(exc, RateLimited) and exc.retry_at is not None:
        return retries.seconds_until(exc.retry_at)
    return float(policy.seconds(attempt + 1))


@shared_task(bind=True, acks_late=True, **retries.celery_retries())
def void_envelope(self: Any, envelope_id: str, reason: str = "", attempt: int = 0) -> None:
    """`reason` is unused (the row holds it); kept so queued messages of old code still run.

    A void is never dropped here: the service ends it only when DocuSign voided it or refused
    it for the envelope's own sake, and keeps it waiting on a connection problem. A retryable
    error reschedules it (no limit: the request stays on the row); a lost or inline task is
    the sweep's to dispatch again."""
    try:
        voids.void_envelope(envelope_id=envelope_id)
    except DocuSignError as exc:
        if self.request.is_eager:
            return  # inline tasks cannot wait: the sweep tries again when it is due
        try:
            void_envelope.apply_async(
                (envelope_id,),
                {"attempt": attempt + 1},
                countdown=_again_in(exc, attempt, retries.VOID),
            )
        except INFRASTRUCTURE_ERRORS as broker:
            logger.warning("Could not reschedule void %s (%s); the sweep will", envelope_id, broker)


@shared_task(bind=True, **retries.celery_retries(retries.REFRESH))
def refresh_envelope(self: Any, envelope_id: str) -> None:
    try:
        signing.refresh_from_docusign(envelope=Envelope.objects.get(pk=envelope_id))
    except DocuSignError as exc:
        _retry_later(self, exc, retries.REFRESH)


@shared_task(bind=True, **retries.celery_retries(retries.KEEP_DOCUMENTS))
def keep_signed_documents(self: Any, envelope_id: str) -> int:
    """After completion: keep the signed documents (0 calls if Connect brought them)."""
    envelope = Envelope.objects.select_related("connection").filter(pk=envelope_id).first()
    if envelope is None:
        return 0
    try:
        return kept.keep_signed_documents(envelope=envelope)
    except DocuSignError as exc:
        _retry_later(self, exc, retries.KEEP_DOCUMENTS)
        return 0


@shared_task(bind=True, **retries.celery_retries())
def drain_connect_events(self: Any, connection_id: int, claim: bool = False) -> int:
    """One slice of a connection's stored Connect messages; it queues the next slice itself.
    Each message's DocuSign failure is that message's (it waits or is parked), never the
    task's. `claim`: a timed wake-up for waiting messages, which takes the drain key first
    (a drain holding it sees them itself)."""
    if claim and not tracking.claim_drain(connection_id):
        return 0
    try:
        return tracking.drain_connect_events(connection_id)
    except SoftTimeLimitExceeded:  # a slice overran (a very slow DocuSign): hand on at once
        tracking.hand_on(connection_id)
        return 0


@shared_task(bind=True, **retries.celery_retries(retries.POLL))
def poll_connection(self: Any, connection_id: int) -> int:
    """List the account's changes for the connection's listing group, apply them and
    reconcile (envelopes.tracking.polling); skipped when another task listed it within the
    interval."""
    connection = Connection.objects.get(pk=connection_id)
    if not polling.is_due(connection, timezone.now()):
        return 0
    try:
        return polling.poll_connection(connection, get_client(connection)).calls
    except DocuSignError as exc:
        _retry_later(self, exc, retries.POLL)
        return 0


@shared_task
def poll_due_connections() -> list[int]:
    """Every minute (beat): start one listing for each due listing group (connections
    sharing an account and user share one); each is listed at most every
    ENVELOPES_POLL_INTERVAL_MINUTES, and reconciled from that same listing."""
    due = [c.pk for c in polling.due_listings(timezone.now())]
    for pk in due:
        poll_connection.delay(pk)
    return due


@shared_task
def sweep() -> dict[str, int]:
    """Every ENVELOPES_SWEEP_SECONDS (beat): restart work whose task or worker was lost."""
    return sweeps.sweep_stuck_work()


@shared_task
def reconcile() -> list[int]:
    """Kept for messages queued by older code (it listed the account a second time): the
    reconciliation now reads the status poll's listing, so this only starts the due polls."""
    return poll_due_connections()


@shared_task(bind=True, acks_late=True, **retries.celery_retries())
def apply_envelope_change(self: Any, change_id: int) -> str:
    """Resend, correct or change reminders at DocuSign (envelopes.changes.corrections). A refusal
    or a connection problem is the service's; here a retryable DocuSign answer counts one
    attempt (our own infrastructure failing never does) and waits, until the attempts run
    out. A rate limit waits without counting."""
    try:
        change = corrections.apply_change(change_id=change_id)
    except DocuSignError as exc:
        attempts = (
            0 if isinstance(exc, RateLimited) else corrections.count_attempt(change_id=change_id)
        )
        if attempts >= retries.CHANGE.max_attempts():
            corrections.give_up(change_id=change_id, error=exc)
            return "failed"
        if not self.request.is_eager:  # inline: the sweep dispatches it again
            try:
                apply_envelope_change.apply_async(
                    (change_id,), countdown=_again_in(exc, attempts, retries.CHANGE)
                )
            except INFRASTRUCTURE_ERRORS as broker:
                logger.warning("Could not reschedule change %s (%s)", change_id, broker)
        return "retrying"
    return change.status if change is not None else "skipped"


@shared_task(bind=True, **retries.celery_retries(retries.LEARN_CORRECTIONS))
def learn_corrections(self: Any, envelope_id: str) -> int:
    """After DocuSign's correct page: copy what was changed there
    (envelopes.changes.corrections)."""
    try:
        return len(corrections.learn_corrections(envelope=Envelope.objects.get(pk=envelope_id)))
    except DocuSignError as exc:
        _retry_later(self, exc, retries.LEARN_CORRECTIONS)
        return 0


@shared_task(bind=True, acks_late=True, **retries.celery_retries())
def advance_bulk_batch(self: Any, batch_id: str) -> str:
    batch = batches.advance_bulk_batch(batch_id=batch_id)
    if batch is None:
        return "skipped"
    # Eager (inline) tasks cannot wait: the sweep runs the batch again when it is due.
    if batch.next_attempt_at is not None and not batch.is_final and not self.request.is_eager:
        lifecycle.start_bulk_send(batch_id, eta=batch.next_attempt_at)
    return str(batch.status)
