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
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Team
from common.dispatch import enqueue
from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign import bulk_send, esignature
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import DocuSignError, RateLimited
from connections.models import Connection
from connections.selectors import usable_connections
from connections.services import get_client, is_connection_problem, note_failure
from envelopes.bulk import rows as bulk_csv
from envelopes.bulk.documents import draft_definition
from envelopes.composing.prepare import check_can_send, check_in_person_host
from envelopes.failures import describe
from envelopes.history import record_event
from envelopes.models import BulkBatch, DocumentTemplate, Envelope, EnvelopeEvent, Recipient
from envelopes.sending import waiting
from envelopes.sending.create import (
    backoff,
    mark_first_routing_order_sent,
    replay_early_connect_messages,
    retry_time,
    settle_window,
)
from envelopes.sending.definitions import CUSTOM_FIELD, bulk_copy_person, docusign_host
from envelopes.tracking.drain import apply_envelope_summary

logger = logging.getLogger("countersign.envelopes")

BATCH_FIELD = "countersign_bulk"  # on the draft (and so on every copy): the batch's id


# --- what the CSV must hold ------------------------------------------------------------------


def layout_for_template(roles: list[dict[str, Any]]) -> bulk_csv.Layout:
    """The CSV layout of a DocuSign template (envelopes.composing.prepare.template_roles)."""
    return bulk_csv.Layout(
        roles=tuple(
            bulk_csv.Role(
                name=str(r["roleName"]),
                recipient_id=str(r.get("recipientId") or n),
                routing_order=int(r.get("routingOrder") or 1),
                tab_labels=tuple(str(t) for t in r.get("textTabs") or [] if t),
                kind=str(r.get("kind") or Recipient.Kind.SIGNER),
            )
            for n, r in enumerate(roles, start=1)
            if r.get("roleName")
        )
    )


def layout_for_document(template: DocumentTemplate) -> bulk_csv.Layout:
    """A generated document: one role per signer anchor (`/sig1/` → Signer, `/sig2/` →
    Signer2, …) and the template's fields (a field with "type": "date" takes YYYY-MM-DD)."""
    signers = max([n for n in range(1, 10) if f"/sig{n}/" in template.body] or [1])
    roles = tuple(
        bulk_csv.Role(name="Signer" if n == 1 else f"Signer{n}", recipient_id=str(n))
        for n in range(1, signers + 1)
    )
    fields = tuple(
        bulk_csv.Field(
            name=str(f["name"]),
            label=str(f.get("label") or f["name"]),
            required=bool(f.get("required", True)),
            is_date=f.get("type") == "date",
        )
        for f in template.fields
    )
    return bulk_csv.Layout(roles=roles, fields=fields)


# --- preparing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRequest:
    connection: Connection
    sender: User
    name: str
    subject: str
    layout: bulk_csv.Layout
    rows: list[bulk_csv.Row]
    message: str = ""
    docusign_template_id: str = ""
    docusign_template_name: str = ""
    document_template: DocumentTemplate | None = None
    team: Team | None = None


@transaction.atomic
def prepare_bulk_send(request: BulkRequest) -> BulkBatch:
    """Save the batch and one row (status `batched`) per CSV row; a worker sends on commit.
    Only rows that passed every check come here (bulk_csv.parse)."""

    sender, connection = request.sender, request.connection
    if not usable_connections(sender).filter(pk=connection.pk).exists():
        raise PermissionDenied(f"{sender} may not send with the connection {connection.name}.")
    if request.team is not None and not request.team.members.filter(pk=sender.pk).exists():
        raise PermissionDenied(f"{sender} is not a member of the team {request.team.name}.")
    check_can_send(connection)
    if any(r.kind == Recipient.Kind.IN_PERSON for r in request.layout.roles):
        check_in_person_host(connection)
    if not request.rows:
        raise ValidationError("There are no rows to send.", code="empty")
    if len(request.rows) > bulk_csv.MAX_ROWS:
        raise ValidationError(f"At most {bulk_csv.MAX_ROWS} rows in one bulk send.", code="size")
    if bool(request.docusign_template_id) == (request.document_template is not None):
        raise ValidationError("Choose a DocuSign template or a document template.")
    source = (
        BulkBatch.Source.TEMPLATE if request.docusign_template_id else (BulkBatch.Source.GENERATED)
    )
    batch = BulkBatch.objects.create(
        connection=connection,
        sender=sender,
        team=request.team,
        name=request.name[:100] or "Bulk send",
        subject=request.subject.strip()[:100],
        message=request.message,
        source=source,
        docusign_template_id=request.docusign_template_id,
        docusign_template_name=request.docusign_template_name,
        document_template=request.document_template,
        roles=[
            {
                "role": r.name,
                "recipient_id": r.recipient_id,
                "routing_order": r.routing_order,
                "tab_labels": list(r.tab_labels),
                "kind": r.kind,
            }
            for r in request.layout.roles
        ],
        size=len(request.rows),
    )
    envelopes = Envelope.objects.bulk_create(
        Envelope(
            connection=connection,
            sender=sender,
            team=request.team,
            subject=batch.subject,
            message=batch.message,
            source=source,
            docusign_template_id=batch.docusign_template_id,
            docusign_template_name=batch.docusign_template_name,
            document_template=batch.document_template,
            template_data=_row_data(source, row),
            status=Envelope.Status.BATCHED,
            bulk_batch=batch,
            bulk_row=row.number,
        )
        for row in request.rows
    )
    Recipient.objects.bulk_create(
        Recipient(
            envelope=envelope,
            name=row.people[role.name].name,
            email=row.people[role.name].email,
            role_name=role.name,
            routing_order=role.routing_order,
            recipient_id=role.recipient_id,
            kind=role.kind,
            # In-person: the sender hosts (DocuSign's host is the connection's user).
            host=sender if role.kind == Recipient.Kind.IN_PERSON else None,
            embedded=role.kind == Recipient.Kind.IN_PERSON,
        )
        for envelope, row in zip(envelopes, request.rows, strict=True)
        for role in request.layout.roles
    )
    logger.info("Bulk batch %s queued: %d rows via %s", batch.pk, batch.size, connection.name)
    transaction.on_commit(partial(start_bulk_send, str(batch.pk)))
    return batch


def _row_data(source: str, row: bulk_csv.Row) -> dict[str, Any]:
    if source == BulkBatch.Source.GENERATED:
        return {"fields": row.values}
    prefill = {role: person.tabs for role, person in row.people.items() if person.tabs}
    return {"prefill": prefill} if prefill else {}


def start_bulk_send(batch_id: str, *, eta: datetime | None = None) -> None:
    enqueue("envelopes.tasks.advance_bulk_batch", batch_id, eta=eta)


# --- sending ---------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.ENVELOPES_SEND_LEASE_SECONDS)


def _claim(batch_id: str) -> BulkBatch | None:
    """Take the batch for its next step; None if another worker has it or it is not due."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    for candidates in (
        BulkBatch.objects.filter(pk=batch_id, status=BulkBatch.Status.QUEUED).filter(due),
        BulkBatch.objects.filter(
            pk=batch_id, status=BulkBatch.Status.SENDING, claimed_at__lt=now - _lease()
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
                _release(batch_id)  # nothing reached DocuSign: not an attempt
                raise
    return None


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
    batch = _claim(batch_id)
    if batch is None:
        return None
    step_started: dict[str, Any] = {}
    try:
        client = get_client(batch.connection)
        if not batch.draft_envelope_id and not _make_draft(client, batch, step_started):
            return _wait(batch, _settled(batch.draft_started_at), _UNKNOWN % "draft envelope")
        if not batch.list_id:
            batch.list_id = bulk_send.create_list(
                client, name=batch.docusign_batch_name, copies=_copies(batch)
            )
            BulkBatch.objects.filter(pk=batch.pk).update(list_id=batch.list_id)
        if not _send(client, batch, step_started):
            return _wait(batch, _settled(batch.send_started_at), _UNKNOWN % "send")
    except RateLimited as exc:
        # DocuSign refused the call: whatever it was, it created nothing.
        if step_started:
            BulkBatch.objects.filter(pk=batch.pk).update(**step_started)
        return _wait(batch, retry_time(exc.retry_at), str(exc), counts=False)
    except DocuSignError as exc:
        if is_connection_problem(exc):
            if step_started:  # no token, or the token refused: nothing was made
                BulkBatch.objects.filter(pk=batch.pk).update(**step_started)
            return _hold(batch, exc)
        note_failure(connection=batch.connection, error=exc)
        if exc.retryable and batch.attempts < settings.ENVELOPES_MAX_SEND_ATTEMPTS:
            return _wait(batch, timezone.now() + backoff(batch.attempts), str(exc))
        return _fail(batch, exc)
    except INFRASTRUCTURE_ERRORS:
        _release(batch.pk)  # our database, Redis or broker: the attempt is given back
        raise
    except Exception:
        _release(batch.pk, gives_back=False)
        raise
    return batch


_UNKNOWN = (
    "An earlier %s's outcome is unknown and DocuSign may still be working on it; looking "
    "for it again before doing anything twice."
)


def _make_draft(client: DocuSignClient, batch: BulkBatch, started: dict[str, Any]) -> bool:
    """Save the draft's id (found or created); False to wait for an unknown outcome."""
    found = None
    if batch.draft_started_at is not None:
        found = _find_draft(client, batch)
        if found is None and timezone.now() < _settled(batch.draft_started_at):
            return False
    if found is None:
        started["draft_started_at"] = batch.draft_started_at
        batch.draft_started_at = timezone.now()
        BulkBatch.objects.filter(pk=batch.pk).update(draft_started_at=batch.draft_started_at)
        found = esignature.create_envelope(client, draft_definition(batch, BATCH_FIELD))
        started.clear()
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
    answer = None
    if batch.send_started_at is not None:
        answer = _find_batch(client, batch)
        if answer is None and timezone.now() < _settled(batch.send_started_at):
            return False
    if answer is None:
        started["send_started_at"] = batch.send_started_at
        batch.send_started_at = timezone.now()
        BulkBatch.objects.filter(pk=batch.pk).update(send_started_at=batch.send_started_at)
        answer = bulk_send.send_list(
            client,
            batch.list_id,
            envelope_or_template_id=batch.draft_envelope_id,
            batch_name=batch.docusign_batch_name,
        )
        started.clear()
    now = timezone.now()
    BulkBatch.objects.filter(pk=batch.pk, claimed_at=batch.claimed_at).update(
        docusign_batch_id=str(answer["batchId"]).lower(),
        status=BulkBatch.Status.SUBMITTED,
        queued_count=batch.size,
        submitted_at=now,
        claimed_at=None,
        next_attempt_at=now + _track_every(),
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


def _track_every() -> timedelta:
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
        return _reschedule(batch, retry_time(exc.retry_at))
    except DocuSignError as exc:
        if is_connection_problem(exc):
            return _hold(batch, exc)
        note_failure(connection=batch.connection, error=exc)
        logger.warning("Tracking bulk batch %s: %s", batch.pk, exc)
        return _reschedule(batch, timezone.now() + _track_every() * 2)
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
    return _reschedule(batch, timezone.now() + _track_every())


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


# --- waiting and failing ---------------------------------------------------------------------


def _settled(started: datetime | None) -> datetime:
    return (started or timezone.now()) + settle_window()


def _wait(batch: BulkBatch, retry_at: datetime, why: str, *, counts: bool = True) -> BulkBatch:
    BulkBatch.objects.filter(pk=batch.pk, status=BulkBatch.Status.SENDING).update(
        status=BulkBatch.Status.QUEUED,
        claimed_at=None,
        next_attempt_at=retry_at,
        attempts=F("attempts") - (0 if counts else 1),
        error_detail=why,
    )
    batch.refresh_from_db()
    return batch


def _hold(batch: BulkBatch, error: DocuSignError) -> BulkBatch:
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


def _reschedule(batch: BulkBatch, at: datetime) -> BulkBatch:
    BulkBatch.objects.filter(pk=batch.pk).update(next_attempt_at=at)
    batch.refresh_from_db()
    return batch


def _release(batch_id: Any, *, gives_back: bool = True) -> None:
    """Back to the queue, giving the attempt back when nothing reached DocuSign."""
    try:
        BulkBatch.objects.filter(pk=batch_id, status=BulkBatch.Status.SENDING).update(
            status=BulkBatch.Status.QUEUED,
            claimed_at=None,
            attempts=F("attempts") - (1 if gives_back else 0),
        )
    except INFRASTRUCTURE_ERRORS:
        logger.warning("Could not release bulk batch %s; the sweep will", batch_id)


def _fail(batch: BulkBatch, error: DocuSignError) -> BulkBatch:

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


def due_batches(now: datetime) -> list[str]:
    """Batches whose next step is due or whose worker died (for the sweep)."""
    grace = timedelta(seconds=settings.ENVELOPES_QUEUED_GRACE_SECONDS)
    waiting = Q(status__in=[BulkBatch.Status.QUEUED, BulkBatch.Status.SUBMITTED]) & (
        Q(next_attempt_at__lte=now - grace)
        | Q(next_attempt_at__isnull=True, updated_at__lt=now - grace)
    )
    dead = Q(status=BulkBatch.Status.SENDING, claimed_at__lt=now - _lease())
    # Waiting for the connection is not stuck: envelopes.sending.waiting resumes it.
    due = BulkBatch.objects.filter(waiting | dead).filter(waiting_since__isnull=True)
    return [str(pk) for pk in due.values_list("pk", flat=True)]


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
