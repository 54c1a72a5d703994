"""What "stuck" means, once: work no process is moving. The sweep
(envelopes.tracking.sweeps) restarts exactly this; the System status page and the metrics
count exactly this.

- a send claim whose lease ran out: its worker died (SIGKILL, lost database) mid-send;
- a queued send nobody took within the grace period after it was due: its task was lost
  (a killed worker, a broker that was down) or never queued. A send rescheduled for later
  (a burst window, the hourly budget) is not stuck until it is due, and one waiting for its
  connection (envelopes.sending.waiting) is not stuck at all: the connection's re-check resumes it;
- a Connect message not applied for ENVELOPES_CONNECT_STALE_SECONDS after it arrived or
  after its wait ended (a crashed drain, a lost wake-up); parked messages are not stuck.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from envelopes.models import ConnectEvent, Envelope
from envelopes.sending.create import CLAIMS


def dead_claims(now: datetime | None = None) -> QuerySet[Envelope]:
    """Sends claimed by a worker longer ago than the lease: that worker is presumed dead."""
    now = now or timezone.now()
    return Envelope.objects.filter(CLAIMS.abandoned_before(now))


def lost_queued(now: datetime | None = None) -> QuerySet[Envelope]:
    """Queued sends whose task should have run by now (due, plus a grace period)."""
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.ENVELOPES_QUEUED_GRACE_SECONDS)
    queued = Envelope.objects.filter(status=Envelope.Status.QUEUED, waiting_since__isnull=True)
    return queued.filter(
        Q(next_attempt_at__lte=late) | Q(next_attempt_at__isnull=True, updated_at__lt=late)
    )


def stuck_envelopes(now: datetime | None = None) -> QuerySet[Envelope]:
    now = now or timezone.now()
    return dead_claims(now) | lost_queued(now)


def stuck_connect_events(now: datetime | None = None) -> QuerySet[ConnectEvent]:
    """Connect messages stored (or due again after a wait) but not applied for longer than a
    drain should take. Parked messages wait for staff, waiting ones for their time: neither
    is stuck."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.ENVELOPES_CONNECT_STALE_SECONDS)
    return ConnectEvent.objects.filter(processed_at__isnull=True, parked_at__isnull=True).filter(
        Q(next_attempt_at__isnull=True, received_at__lt=stale) | Q(next_attempt_at__lt=stale)
    )
