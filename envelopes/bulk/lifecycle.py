"""A bulk batch's claim, lease and waits: one worker at a time, rescheduled (never slept),
held while its connection has a problem, failed visibly, and found again by the sweep."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from common.claims import Claims
from common.dispatch import enqueue
from connections.docusign.errors import DocuSignError
from envelopes import retries
from envelopes.failures import describe
from envelopes.models import BulkBatch, Envelope
from envelopes.sending import waiting

logger = logging.getLogger("countersign.envelopes")


def start_bulk_send(batch_id: str, *, eta: datetime | None = None) -> None:
    enqueue("envelopes.tasks.advance_bulk_batch", batch_id, eta=eta)


# Batches' claims: one worker advances a batch at a time; a dead worker's is taken over.
CLAIMS = Claims(
    model=BulkBatch,
    queued=BulkBatch.Status.QUEUED,
    working=BulkBatch.Status.SENDING,
    attempts="attempts",
    lease=retries.lease,
    related=("connection",),
    noun="bulk batch",
)


def settled(started: datetime | None) -> datetime:
    return (started or timezone.now()) + retries.settle_window()


def wait_until(batch: BulkBatch, retry_at: datetime, why: str, *, counts: bool = True) -> BulkBatch:
    CLAIMS.requeue(batch.pk, counts=counts, next_attempt_at=retry_at, error_detail=why)
    batch.refresh_from_db()
    return batch


def hold(batch: BulkBatch, error: DocuSignError) -> BulkBatch:
    """A problem of the connection: the batch (queued, or submitted and tracked) waits
    without a task and without counting the attempt until the connection works again
    (envelopes.sending.waiting resumes it)."""
    CLAIMS.requeue(batch.pk, counts=False)
    BulkBatch.objects.filter(pk=batch.pk).update(
        next_attempt_at=None,
        waiting_since=batch.waiting_since or timezone.now(),
        error_detail=waiting.reason(batch.connection, error),
    )
    waiting.start_waiting(connection=batch.connection, error=error, sender=batch.sender)
    batch.refresh_from_db()
    return batch


def reschedule(batch: BulkBatch, at: datetime) -> BulkBatch:
    BulkBatch.objects.filter(pk=batch.pk).update(next_attempt_at=at)
    batch.refresh_from_db()
    return batch


def fail(batch: BulkBatch, error: DocuSignError) -> BulkBatch:

    detail = f"Sending the bulk send to DocuSign failed: {describe(error)}"
    BulkBatch.objects.filter(pk=batch.pk).update(
        status=BulkBatch.Status.FAILED,
        claimed_at=None,
        next_attempt_at=None,
        error_code=error.error_code[:100],
        error_detail=detail,
    )
    # Nothing was sent: every row fails with the batch's reason.
    batch.envelopes.filter(status=Envelope.Status.BATCHED).update(
        status=Envelope.Status.FAILED, error_code=error.error_code[:100], error_detail=detail
    )
    batch.refresh_from_db()
    return batch


def due_batches(now: datetime) -> list[str]:
    """Batches whose next step is due or whose worker died (for the sweep)."""
    grace = timedelta(seconds=settings.ENVELOPES_QUEUED_GRACE_SECONDS)
    waiting = Q(status__in=[BulkBatch.Status.QUEUED, BulkBatch.Status.SUBMITTED]) & (
        Q(next_attempt_at__lte=now - grace)
        | Q(next_attempt_at__isnull=True, updated_at__lt=now - grace)
    )
    dead = CLAIMS.abandoned_before(now)
    # Waiting for the connection is not stuck: envelopes.sending.waiting resumes it.
    due = BulkBatch.objects.filter(waiting | dead).filter(waiting_since__isnull=True)
    return [str(pk) for pk in due.values_list("pk", flat=True)]
