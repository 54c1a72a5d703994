"""Bulk send: one envelope per CSV row, through DocuSign's Bulk Send in a handful of calls.

Steps, each saved as it succeeds so none runs twice: a draft envelope with placeholder
recipients (from the DocuSign template, or the generated document whose per-row fields are
locked text tabs), a bulk send list (one copy per row, each carrying its row's id as the
`countersign_id` envelope custom field), then one send. DocuSign then makes the envelopes
over time; tracking reads the batch's counts and its envelopes (1,000 a call) and links each
to its row by that id. From then on a row is an envelope like any other (Connect, polling).

Exactly once: a draft create or a send whose answer was lost is looked for (the draft by its
`countersign_bulk` custom field, the batch by its name, which carries our id) over a window
longer than DocuSign can still be working, and only repeated once nothing is found. A list
create is simply repeated: a list alone sends nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign import bulk_send, esignature
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import DocuSignError, RateLimited
from connections.services import get_client, is_connection_problem, note_failure
from envelopes import retries
from envelopes.bulk.documents import draft_definition
from envelopes.bulk.lifecycle import CLAIMS, fail, hold, settled, wait_until
from envelopes.bulk.tracking import track_bulk_batch, track_every
from envelopes.models import BulkBatch, Recipient
from envelopes.sending.definitions import CUSTOM_FIELD, bulk_copy_person, docusign_host

logger = logging.getLogger("countersign.envelopes")

BATCH_FIELD = "countersign_bulk"  # on the draft (and so on every copy): the batch's id


# --- what the CSV must hold ------------------------------------------------------------------


# --- preparing -------------------------------------------------------------------------------


# --- sending ---------------------------------------------------------------------------------


def advance_bulk_batch(*, batch_id: str) -> BulkBatch | None:
    """Do the batch's next piece of work: send it (queued), or track it (submitted).
    Returns the batch, with `next_attempt_at` when it wants to run again."""
    batch = BulkBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return None
    if batch.status == BulkBatch.Status.SUBMITTED:
        return track_bulk_batch(batch)
    return send_bulk_batch(batch_id=batch_id)


def send_bulk_batch(*, batch_id: str) -> BulkBatch | None:
    batch = CLAIMS.take(batch_id)
    if batch is None:
        return None
    step_started: dict[str, Any] = {}
    try:
        client = get_client(batch.connection)
        if not batch.draft_envelope_id and not _make_draft(client, batch, step_started):
            return wait_until(batch, settled(batch.draft_started_at), _UNKNOWN % "draft envelope")
        if not batch.list_id:
            batch.list_id = bulk_send.create_list(
                client, name=batch.docusign_batch_name, copies=_copies(batch)
            )
            BulkBatch.objects.filter(pk=batch.pk).update(list_id=batch.list_id)
        if not _send(client, batch, step_started):
            return wait_until(batch, settled(batch.send_started_at), _UNKNOWN % "send")
    except RateLimited as exc:
        # DocuSign refused the call: whatever it was, it created nothing.
        if step_started:
            BulkBatch.objects.filter(pk=batch.pk).update(**step_started)
        return wait_until(batch, retries.rate_limited_until(exc.retry_at), str(exc), counts=False)
    except DocuSignError as exc:
        if is_connection_problem(exc):
            if step_started:  # no token, or the token refused: nothing was made
                BulkBatch.objects.filter(pk=batch.pk).update(**step_started)
            return hold(batch, exc)
        note_failure(connection=batch.connection, error=exc)
        if exc.retryable and batch.attempts < retries.SEND.max_attempts():
            return wait_until(batch, timezone.now() + retries.SEND.after(batch.attempts), str(exc))
        return fail(batch, exc)
    except INFRASTRUCTURE_ERRORS:
        CLAIMS.release(batch.pk)  # our database, Redis or broker: the attempt is given back
        raise
    except Exception:
        CLAIMS.release(batch.pk, gives_back=False)
        raise
    return batch


_UNKNOWN = (
    "An earlier %s's outcome is unknown and DocuSign may still be working on it; looking "
    "for it again before doing anything twice."
)


def _at_most_once(
    batch: BulkBatch,
    field: str,
    started: dict[str, Any],
    *,
    find: Callable[[], dict[str, Any] | None],
    make: Callable[[], dict[str, Any]],
) -> dict[str, Any] | None:
    """A step DocuSign must not do twice: what an earlier attempt made if DocuSign shows it,
    else made now; None to wait while an earlier attempt's outcome is unknown. The start
    (`field`) is committed before the call; `started` holds its old value while the call is
    out, for a refused call to put back."""
    began = getattr(batch, field)
    if began is not None:
        found = find()
        if found is not None:
            return found
        if timezone.now() < settled(began):
            return None
    started[field] = began
    setattr(batch, field, timezone.now())
    BulkBatch.objects.filter(pk=batch.pk).update(**{field: getattr(batch, field)})
    made = make()
    started.clear()
    return made


def _make_draft(client: DocuSignClient, batch: BulkBatch, started: dict[str, Any]) -> bool:
    """Save the draft's id (found or created); False to wait for an unknown outcome."""
    found = _at_most_once(
        batch,
        "draft_started_at",
        started,
        find=lambda: _find_draft(client, batch),
        make=lambda: esignature.create_envelope(client, draft_definition(batch, BATCH_FIELD)),
    )
    if found is None:
        return False
    batch.draft_envelope_id = str(found["envelopeId"]).lower()
    BulkBatch.objects.filter(pk=batch.pk).update(draft_envelope_id=batch.draft_envelope_id)
    return True


def _find_draft(client: DocuSignClient, batch: BulkBatch) -> dict[str, Any] | None:
    found = esignature.find_envelopes(
        client,
        custom_field=BATCH_FIELD,
        value=str(batch.pk),
        since=batch.created_at - timedelta(minutes=5),
    )
    drafts = [
        s
        for s in found
        if s.get("status") == "created"
        and esignature.text_custom_field(s, BATCH_FIELD) == str(batch.pk)
    ]
    return min(drafts, key=lambda s: str(s.get("createdDateTime") or "")) if drafts else None


def _send(client: DocuSignClient, batch: BulkBatch, started: dict[str, Any]) -> bool:
    """Send the list once; False to wait while an earlier send's outcome is unknown."""
    answer = _at_most_once(
        batch,
        "send_started_at",
        started,
        find=lambda: _find_batch(client, batch),
        make=lambda: bulk_send.send_list(
            client,
            batch.list_id,
            envelope_or_template_id=batch.draft_envelope_id,
            batch_name=batch.docusign_batch_name,
        ),
    )
    if answer is None:
        return False
    now = timezone.now()
    BulkBatch.objects.filter(pk=batch.pk, claimed_at=batch.claimed_at).update(
        docusign_batch_id=str(answer["batchId"]).lower(),
        status=BulkBatch.Status.SUBMITTED,
        queued_count=batch.size,
        submitted_at=now,
        claimed_at=None,
        next_attempt_at=now + track_every(),
        error_code="",
        error_detail="",
    )
    batch.refresh_from_db()
    logger.info("Bulk batch %s submitted as DocuSign batch %s", batch.pk, batch.docusign_batch_id)
    return True


def _find_batch(client: DocuSignClient, batch: BulkBatch) -> dict[str, Any] | None:
    """The batch an earlier send made, if DocuSign lists it under our exact name."""
    found = bulk_send.find_batches(client, search_text=batch.docusign_batch_name)
    ours = [b for b in found if b.get("batchName") == batch.docusign_batch_name]
    return ours[0] if ours else None


def _copies(batch: BulkBatch) -> list[dict[str, Any]]:
    """One copy per row: its people (by role), their field values, and the row's id."""
    copies = []
    in_person = any(r.get("kind") == Recipient.Kind.IN_PERSON for r in batch.roles)
    host = docusign_host(batch.connection) if in_person else ("", "")
    for row in batch.envelopes.prefetch_related("recipients").order_by("bulk_row"):
        data = row.template_data or {}
        recipients = []
        for person in row.recipients.all():
            if batch.source == BulkBatch.Source.GENERATED:
                # The document's fields are locked text tabs of the first signer.
                values = data.get("fields") or {} if person.recipient_id == "1" else {}
            else:
                values = (data.get("prefill") or {}).get(person.role_name) or {}
            tabs = [{"tabLabel": k, "initialValue": str(v)} for k, v in values.items()]
            recipients.append(
                {
                    "roleName": person.role_name,
                    **bulk_copy_person(person, host),
                    **({"tabs": tabs} if tabs else {}),
                }
            )
        copies.append(
            {
                "recipients": recipients,
                "customFields": [{"name": CUSTOM_FIELD, "value": str(row.pk)}],
            }
        )
    return copies


# --- tracking --------------------------------------------------------------------------------


# --- waiting and failing ---------------------------------------------------------------------


def advance_due_batches(now: datetime | None = None) -> int:
    """Development without a broker (envelopes.dev_poller): run each batch whose next step
    is due, inline, since no task can be scheduled for later. Returns how many ran."""
    now = now or timezone.now()
    due = BulkBatch.objects.filter(
        status__in=[BulkBatch.Status.QUEUED, BulkBatch.Status.SUBMITTED]
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    ids = [str(pk) for pk in due.values_list("pk", flat=True)]
    for batch_id in ids:
        advance_bulk_batch(batch_id=batch_id)
    return len(ids)
