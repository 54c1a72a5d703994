"""Work that waits for its connection: a problem of the connection is never final.

Consent withdrawn, a connection not set up, a key or token DocuSign no longer accepts: none
is the envelope's fault, and staff fix each once for the whole connection. So a send, void,
change or bulk batch meeting one stays queued, marked waiting with the reason and the fix,
and does not call DocuSign again until the connection works: the sweep checks such a
connection every ENVELOPES_CONNECTION_RECHECK_SECONDS, and any passing check (the consent
return page, the admin, the check task) re-dispatches all of its waiting work. Staff, and the
sender whose work waited first, are emailed once per outage, not once per envelope.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from common.dispatch import enqueue
from connections.docusign.errors import DocuSignError
from connections.models import Connection
from connections.services import note_failure
from envelopes.failures import email_quietly
from envelopes.models import BulkBatch, Envelope, EnvelopeChange

logger = logging.getLogger("countersign.envelopes")

RESUMES = (
    "It waits, and resumes by itself once the connection works again (a passing connection "
    "check: the consent return page, the admin's check, or the periodic re-check)."
)


def reason(connection: Connection, error: DocuSignError) -> str:
    """What the waiting work's page shows: what is wrong, the fix, and that it resumes."""
    return (
        f"Waiting for the DocuSign connection {connection.name!r}: {error}\n\n"
        f"How to fix it: {error.advice}\n\n{RESUMES}"
    )


def start_waiting(*, connection: Connection, error: DocuSignError, sender: User | None) -> None:
    """Record the problem on the connection; the first work to wait emails staff (and its
    sender) once, until the connection recovers and breaks again."""
    note_failure(connection=connection, error=error)
    first = Connection.objects.filter(pk=connection.pk, work_waiting_since__isnull=True).update(
        work_waiting_since=timezone.now()
    )
    if first:
        _tell(connection, error, sender)


def _tell(connection: Connection, error: DocuSignError, sender: User | None) -> None:
    fixers = User.objects.filter(is_active=True).exclude(email="")
    fixers = fixers.filter(
        Q(is_superuser=True)
        | Q(is_staff=True, user_permissions__codename="change_connection")
        | Q(is_staff=True, groups__permissions__codename="change_connection")
    )
    to = sorted({u.email for u in fixers} | ({sender.email} if sender and sender.email else set()))
    if not to:
        return
    link = settings.SITE_URL + reverse("admin:connections_connection_change", args=[connection.pk])
    email_quietly(
        subject=f"DocuSign connection {connection.name} needs attention; work is waiting",
        message=f"{reason(connection, error)}\n\nThe connection: {link}\n",
        to=to,
    )


def waiting_connections() -> set[int]:
    """Connections some work waits for."""
    ids = set(
        Envelope.objects.filter(waiting_since__isnull=False).values_list("connection_id", flat=True)
    )
    ids |= set(
        EnvelopeChange.objects.filter(
            waiting_since__isnull=False, status=EnvelopeChange.Status.PENDING
        ).values_list("envelope__connection_id", flat=True)
    )
    ids |= set(
        BulkBatch.objects.filter(waiting_since__isnull=False).values_list(
            "connection_id", flat=True
        )
    )
    ids |= set(
        Connection.objects.filter(work_waiting_since__isnull=False).values_list("pk", flat=True)
    )
    return ids


def resume(connection_id: int, *, before: datetime | None = None) -> dict[str, int]:
    """A check passed: re-dispatch the connection's work that started waiting `before` it
    (work that began waiting later saw a newer failure, and waits for the next check)."""
    now = timezone.now()
    before = before or now
    Connection.objects.filter(pk=connection_id, work_waiting_since__lte=before).update(
        work_waiting_since=None
    )
    counts = {"sends": 0, "voids": 0, "changes": 0, "bulk": 0}
    waiting = Envelope.objects.filter(connection_id=connection_id, waiting_since__lte=before)
    for pk, status, void_requested in list(
        waiting.values_list("pk", "status", "void_requested_at")
    ):
        cleared = Envelope.objects.filter(pk=pk, waiting_since__lte=before).update(
            waiting_since=None,
            waiting_reason="",
            next_attempt_at=now if status == Envelope.Status.QUEUED else None,
            void_requested_at=now if void_requested else None,
        )
        if not cleared:
            continue
        if status == Envelope.Status.QUEUED:
            enqueue("envelopes.tasks.send_envelope", str(pk))
            counts["sends"] += 1
        elif void_requested:
            enqueue("envelopes.tasks.void_envelope", str(pk))
            counts["voids"] += 1
    for change_id in list(
        EnvelopeChange.objects.filter(
            envelope__connection_id=connection_id,
            status=EnvelopeChange.Status.PENDING,
            waiting_since__lte=before,
        ).values_list("pk", flat=True)
    ):
        EnvelopeChange.objects.filter(pk=change_id).update(
            waiting_since=None, waiting_reason="", requested_at=now
        )
        enqueue("envelopes.tasks.apply_envelope_change", change_id)
        counts["changes"] += 1
    for batch_id in list(
        BulkBatch.objects.filter(
            connection_id=connection_id, waiting_since__lte=before
        ).values_list("pk", flat=True)
    ):
        BulkBatch.objects.filter(pk=batch_id).update(
            waiting_since=None, error_detail="", next_attempt_at=now
        )
        enqueue("envelopes.tasks.advance_bulk_batch", str(batch_id))
        counts["bulk"] += 1
    if any(counts.values()):
        logger.info("Connection %s works again; resumed %s", connection_id, counts)
    return counts


def on_connection_healthy(sender: Any, *, connection: Connection, **kwargs: Any) -> None:
    """connections.signals.connection_healthy: the check passed (after its commit)."""
    resume(connection.pk, before=connection.last_checked_at)


def recheck_interval() -> timedelta:
    return timedelta(seconds=settings.ENVELOPES_CONNECTION_RECHECK_SECONDS)


def recheck_connections(now: datetime | None = None) -> int:
    """For the sweep: each connection work waits for is checked (one token request, no
    eSignature budget) at most every ENVELOPES_CONNECTION_RECHECK_SECONDS, instead of each
    piece of work retrying on its own. A check that passed since the work began waiting
    resumes it (its own resume may have been lost). Returns how many checks it queued."""
    now = now or timezone.now()
    queued = 0
    for connection in Connection.objects.filter(pk__in=waiting_connections()):
        checked = connection.last_checked_at
        if connection.status == Connection.Status.CONNECTED and checked is not None:
            resume(connection.pk, before=checked)
        if checked is None or checked < now - recheck_interval():
            enqueue("connections.tasks.check_connection", connection.pk)
            queued += 1
    return queued
