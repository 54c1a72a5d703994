"""Following a submitted bulk batch: DocuSign's counts, each copy linked to its row, the
batch finished when every row is accounted for; the progress the page shows."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from connections.docusign import bulk_send, esignature
from connections.docusign.errors import DocuSignError, RateLimited
from connections.services import get_client, is_connection_problem, note_failure
from envelopes import retries
from envelopes.bulk.lifecycle import hold, reschedule
from envelopes.history import record_event
from envelopes.models import BulkBatch, Envelope, EnvelopeEvent
from envelopes.sending.create import (
    mark_first_routing_order_sent,
    replay_early_connect_messages,
)
from envelopes.sending.definitions import CUSTOM_FIELD
from envelopes.tracking.apply import apply_envelope_summary

logger = logging.getLogger("countersign.envelopes")


def track_every() -> timedelta:
    return timedelta(seconds=settings.ENVELOPES_BULK_TRACK_SECONDS)


def track_bulk_batch(batch: BulkBatch) -> BulkBatch:
    """Read DocuSign's counts for the batch and link the envelopes it has made to their rows
    (2 calls per round for up to 1,000 envelopes). Rows DocuSign could not make end failed,
    with DocuSign's reason."""
    try:
        client = get_client(batch.connection)
        status = bulk_send.batch_status(client, batch.docusign_batch_id)
        unlinked = batch.envelopes.filter(status=Envelope.Status.BATCHED).count()
        sent = int(status.get("sent") or 0)
        if unlinked and sent > batch.size - unlinked - _failed_rows(batch):
            for summary in bulk_send.batch_envelopes(client, batch.docusign_batch_id):
                _link(batch, summary)
    except RateLimited as exc:
        return reschedule(batch, retries.rate_limited_until(exc.retry_at))
    except DocuSignError as exc:
        if is_connection_problem(exc):
            return hold(batch, exc)
        note_failure(connection=batch.connection, error=exc)
        logger.warning("Tracking bulk batch %s: %s", batch.pk, exc)
        return reschedule(batch, timezone.now() + track_every() * 2)
    BulkBatch.objects.filter(pk=batch.pk).update(
        queued_count=int(status.get("queued") or 0),
        sent_count=sent,
        failed_count=int(status.get("failed") or 0),
    )
    batch.refresh_from_db()
    done = batch.queued_count == 0 and batch.sent_count + batch.failed_count >= batch.size
    if done and batch.envelopes.filter(status=Envelope.Status.BATCHED).count() <= (
        batch.failed_count - _failed_rows(batch)
    ):
        return _finish(batch, status.get("bulkErrors") or [])
    return reschedule(batch, timezone.now() + track_every())


def _failed_rows(batch: BulkBatch) -> int:
    return batch.envelopes.filter(status=Envelope.Status.FAILED, docusign_envelope_id="").count()


def _link(batch: BulkBatch, summary: dict[str, Any]) -> None:
    row_id = esignature.text_custom_field(summary, CUSTOM_FIELD)
    envelope_id = str(summary.get("envelopeId") or "").lower()
    if not _is_uuid(row_id) or not envelope_id:
        return
    now = timezone.now()
    linked = Envelope.objects.filter(
        pk=row_id,
        bulk_batch=batch,
        status=Envelope.Status.BATCHED,
        docusign_envelope_id="",
    ).update(docusign_envelope_id=envelope_id, sent_at=now)
    if not linked:
        return
    row = Envelope.objects.select_related("connection").get(pk=row_id)
    apply_envelope_summary(row, summary, source=EnvelopeEvent.Source.DOCUSIGN)
    row.refresh_from_db()
    if row.status == Envelope.Status.SENT and not summary.get("recipients"):
        mark_first_routing_order_sent(row)
    record_event(row, "bulk-created", f"DocuSign envelope {envelope_id} (bulk send)")
    replay_early_connect_messages(row)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _finish(batch: BulkBatch, errors: list[dict[str, Any]]) -> BulkBatch:
    """Rows DocuSign made no envelope for are failed, with its error for their addresses."""
    by_email: dict[str, str] = {}
    for error in errors:
        for email in error.get("recipientEmails") or []:
            by_email[str(email).lower()] = str(error.get("errorMessage") or "")
    for row in batch.envelopes.filter(status=Envelope.Status.BATCHED).prefetch_related(
        "recipients"
    ):
        reasons = [
            by_email[r.email.lower()] for r in row.recipients.all() if r.email.lower() in by_email
        ]
        row.status = Envelope.Status.FAILED
        row.error_code = "BULK_SEND_COPY_FAILED"
        reason = reasons[0] if reasons else "no reason given"
        row.error_detail = (
            f"DocuSign could not create this row's envelope: {reason}\n\nHow to fix it: "
            "correct the row and send it again (on its own or in a new bulk send)."
        )
        row.save(update_fields=["status", "error_code", "error_detail", "updated_at"])
        record_event(row, "failed", row.error_detail)
    BulkBatch.objects.filter(pk=batch.pk).update(
        status=BulkBatch.Status.FINISHED, finished_at=timezone.now(), next_attempt_at=None
    )
    batch.refresh_from_db()
    return batch


def progress(batch: BulkBatch) -> dict[str, Any]:
    """What the batch page shows, from our database only."""
    counts = dict(batch.envelopes.values_list("status").annotate(n=Count("pk")))
    tracked = (
        batch.size - counts.get(Envelope.Status.BATCHED, 0) - counts.get(Envelope.Status.FAILED, 0)
    )
    failed = counts.get(Envelope.Status.FAILED, 0)
    completed = counts.get(Envelope.Status.COMPLETED, 0)
    return {
        "status": batch.status,
        "status_display": batch.get_status_display(),
        "size": batch.size,
        "waiting": counts.get(Envelope.Status.BATCHED, 0),
        "created": tracked,
        "failed": failed,
        "completed": completed,
        "percent": round(100 * (tracked + failed) / batch.size) if batch.size else 100,
        # The page stops watching once nothing can change: every row done.
        "final": batch.is_final
        and sum(n for status, n in counts.items() if status in Envelope.FINAL) == batch.size,
        "error": batch.error_detail if batch.status == BulkBatch.Status.FAILED else "",
    }
