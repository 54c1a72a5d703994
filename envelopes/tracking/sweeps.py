"""Nothing stuck: a periodic sweep restarts work whose task or worker was lost.

Every piece of work has a row saying where it stands, so a task lost with a killed worker, a
broker that was down when the task was queued, or a worker that died holding a claim, is
found here and dispatched again. Dispatching twice is harmless: a send is claimed by one
worker at a time, a void is done once, a drain applies each message once.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from common.dispatch import enqueue
from envelopes.bulk.lifecycle import due_batches, start_bulk_send
from envelopes.history import record_event
from envelopes.models import Envelope, EnvelopeChange
from envelopes.sending import waiting
from envelopes.tracking import drain as tracking
from envelopes.tracking import stuck


def sweep_stuck_work(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    grace = timedelta(seconds=settings.ENVELOPES_QUEUED_GRACE_SECONDS)
    counts = {"queued": 0, "claims": 0, "voids": 0, "changes": 0, "connect": 0, "bulk": 0}
    # Work waiting for its connection is not retried piece by piece: the connection is
    # re-checked, and a passing check resumes all of it (envelopes.sending.waiting).
    counts["rechecks"] = waiting.recheck_connections(now)

    # Claims whose lease ran out: the worker died (SIGKILL, lost database) mid-send.
    dispatched = set()
    for envelope in stuck.dead_claims(now):
        released = Envelope.objects.filter(
            pk=envelope.pk, status=Envelope.Status.SENDING, claimed_at=envelope.claimed_at
        ).update(status=Envelope.Status.QUEUED, claimed_at=None, next_attempt_at=None)
        if released:
            record_event(
                envelope,
                "claim-expired",
                "The worker sending this stopped; sending again, after checking DocuSign for "
                "anything it may have created.",
            )
            _dispatch_send(envelope.pk)
            dispatched.add(envelope.pk)
            counts["claims"] += 1

    # Queued work whose task is lost (or was never queued: the broker was down).
    due = stuck.lost_queued(now)
    for pk in list(due.exclude(pk__in=dispatched).values_list("pk", flat=True)[:1000]):
        _dispatch_send(pk)
        counts["queued"] += 1

    # Voids asked for and never done.
    for pk in list(
        Envelope.objects.filter(
            status__in=Envelope.VOIDABLE,
            void_requested_at__lt=now - grace,
            waiting_since__isnull=True,
        ).values_list("pk", flat=True)[:1000]
    ):
        Envelope.objects.filter(pk=pk).update(void_requested_at=timezone.now())
        enqueue("envelopes.tasks.void_envelope", str(pk))
        counts["voids"] += 1

    # Resends, corrections and reminder changes asked for and never done (every one is
    # idempotent at DocuSign, so a second dispatch does no harm). Re-dated as voids are.
    for change_id in list(
        EnvelopeChange.objects.filter(
            status=EnvelopeChange.Status.PENDING,
            requested_at__lt=now - grace,
            waiting_since__isnull=True,
        ).values_list("pk", flat=True)[:1000]
    ):
        EnvelopeChange.objects.filter(pk=change_id).update(requested_at=timezone.now())
        enqueue("envelopes.tasks.apply_envelope_change", change_id)
        counts["changes"] += 1

    # Connect messages nobody applied (a crashed drain, a lost task).
    for connection_id in set(
        stuck.stuck_connect_events(now).values_list("connection_id", flat=True).distinct()
    ):
        if tracking.request_drain(connection_id):
            counts["connect"] += 1

    for batch_id in due_batches(now):  # bulk sends whose task or worker was lost
        start_bulk_send(batch_id)
        counts["bulk"] += 1
    return counts


def _dispatch_send(pk: Any) -> None:
    """Queue the send; marked so the next sweep waits a grace period before doing it again."""
    Envelope.objects.filter(pk=pk, status=Envelope.Status.QUEUED).update(
        next_attempt_at=timezone.now()
    )
    enqueue("envelopes.tasks.send_envelope", str(pk))
