"""A bulk batch's claim, lease and waits: one worker at a time, rescheduled (never slept),
held while its connection has a problem, failed visibly, and found again by the sweep."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from common.dispatch import enqueue
from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign.errors import DocuSignError
from envelopes.failures import describe
from envelopes.models import BulkBatch, Envelope
from envelopes.sending import waiting
from envelopes.sending.create import (
    settle_window,
)

logger = logging.getLogger("countersign.envelopes")


def start_bulk_send(batch_id: str, *, eta: datetime | None = None) -> None:
    enqueue("envelopes.tasks.advance_bulk_batch", batch_id, eta=eta)


def lease() -> timedelta:
    return timedelta(seconds=settings.ENVELOPES_SEND_LEASE_SECONDS)


def claim(batch_id: str) -> BulkBatch | None:
    """Take the batch for its next step; None if another worker has it or it is not due."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    for candidates in (
        BulkBatch.objects.filter(pk=batch_id, status=BulkBatch.Status.QUEUED).filter(due),
        BulkBatch.objects.filter(
            pk=batch_id, status=BulkBatch.Status.SENDING, claimed_at__lt=now - lease()
        ),
    ):
        if candidates.update(
            status=BulkBatch.Status.SENDING,
            claimed_at=now,
            next_attempt_at=None,
            attempts=F("attempts") + 1,
        ):
            try:
                return BulkBatch.objects.select_related("connection").get(pk=batch_id)
            except INFRASTRUCTURE_ERRORS:
                release(batch_id)  # nothing reached DocuSign: not an attempt
                raise
    return None


def settled(started: datetime | None) -> datetime:
    return (started or timezone.now()) + settle_window()


def wait_until(batch: BulkBatch, retry_at: datetime, why: str, *, counts: bool = True) -> BulkBatch:
    BulkBatch.objects.filter(pk=batch.pk, status=BulkBatch.Status.SENDING).update(
        status=BulkBatch.Status.QUEUED,
        claimed_at=None,
        next_attempt_at=retry_at,
        attempts=F("attempts") - (0 if counts else 1),
        error_detail=why,
    )
    batch.refresh_from_db()
    return batch


def hold(batch: BulkBatch, error: DocuSignError) -> BulkBatch:
    """A problem of the connection: the batch (queued, or submitted and tracked) waits
    without a task and without counting the attempt until the connection works again
    (envelopes.sending.waiting resumes it)."""
    BulkBatch.objects.filter(pk=batch.pk, status=BulkBatch.Status.SENDING).update(
        status=BulkBatch.Status.QUEUED, claimed_at=None, attempts=F("attempts") - 1
    )
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


def release(batch_id: Any, *, gives_back: bool = True) -> None:
    """Back to the queue, giving the attempt back when nothing reached DocuSign."""
    try:
        BulkBatch.objects.filter(pk=batch_id, status=BulkBatch.Status.SENDING).update(
            status=BulkBatch.Status.QUEUED,
            claimed_at=None,
            attempts=F("attempts") - (1 if gives_back else 0),
        )
    except INFRASTRUCTURE_ERRORS:
        logger.warning("Could not release bulk batch %s; the sweep will", batch_id)


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
    dead = Q(status=BulkBatch.Status.SENDING, claimed_at__lt=now - lease())
    # Waiting for the connection is not stuck: envelopes.sending.waiting resumes it.
    due = BulkBatch.objects.filter(waiting | dead).filter(waiting_since__isnull=True)
    return [str(pk) for pk in due.values_list("pk", flat=True)]
