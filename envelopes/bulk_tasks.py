"""Celery task for bulk sends: thin, reschedules itself (countdown/eta, never a sleep)."""

from typing import Any

from celery import shared_task

from envelopes.tasks import INFRA_RETRY


@shared_task(bind=True, acks_late=True, **INFRA_RETRY)
def advance_bulk_batch(self: Any, batch_id: str) -> str:
    from envelopes.bulk import advance_bulk_batch as advance
    from envelopes.bulk import start_bulk_send

    batch = advance(batch_id=batch_id)
    if batch is None:
        return "skipped"
    # Eager (inline) tasks cannot wait: the sweep runs the batch again when it is due.
    if batch.next_attempt_at is not None and not batch.is_final and not self.request.is_eager:
        start_bulk_send(batch_id, eta=batch.next_attempt_at)
    return str(batch.status)
