"""What happens to one Connect message the drain could not apply: it waits, or it is parked.

One message never stops the others. DocuSign failing for a while (a 5xx, unreachable, a rate
limit) or the connection not being usable (not set up, consent withdrawn, a refused key)
makes that message wait (`next_attempt_at`, growing, or DocuSign's reset for a rate limit)
while the rest flow. A failure that will not go away by waiting (the envelope was purged at
DocuSign, a body we cannot apply, a bug) parks the message with its reason: kept, shown on
the connection's Connect page, where staff retry or discard it. Our own database or Redis
failing is no message's fault: those errors are never classified here (the drain task
retries as a whole, nothing parked, no attempt counted).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from connections.docusign.errors import DocuSignError, RateLimited
from connections.services import is_connection_problem
from envelopes import retries
from envelopes.models import ConnectEvent

logger = logging.getLogger("countersign.connect")


class MalformedMessage(ValueError):
    """A stored message we cannot apply as it is (the text says what is wrong)."""


@dataclass(frozen=True)
class Failure:
    reason: str
    permanent: bool
    retry_at: datetime | None = None  # transient: when to try again (None: by attempts)
    counts: bool = True  # may park after ENVELOPES_CONNECT_MAX_ATTEMPTS attempts
    blocks_fetches: bool = False  # every other fetch in this slice would fail alike


def classify(exc: Exception) -> Failure:
    """How one message's failure is handled. Never called with our infrastructure's errors."""
    reason = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, RateLimited):
        retry_at = retries.rate_limited_until(exc.retry_at) if exc.retry_at else None
        return Failure(
            reason, permanent=False, retry_at=retry_at, counts=False, blocks_fetches=True
        )
    # The connection cannot talk to DocuSign until staff fix it (the connection page says
    # how): every fetch would fail alike, so the message waits, never parks.
    if isinstance(exc, DocuSignError) and is_connection_problem(exc):
        return Failure(reason, permanent=False, counts=False, blocks_fetches=True)
    if isinstance(exc, DocuSignError) and exc.retryable:
        return Failure(reason, permanent=False)
    return Failure(reason, permanent=True)


def record(event: ConnectEvent, failure: Failure) -> str:
    """Park the message or make it wait; returns "parked" or "waiting" (or "gone" when
    another drain applied it meanwhile)."""
    now = timezone.now()
    attempts = event.attempts + 1
    limit = retries.CONNECT_MESSAGE.max_attempts()
    if failure.permanent or (failure.counts and attempts >= limit):
        reason = failure.reason
        if not failure.permanent:
            reason = f"gave up after {attempts} attempts: {reason}"[:300]
        changed = _pending(event).update(
            parked_at=now, attempts=attempts, failure_reason=reason, next_attempt_at=None
        )
        if changed:
            logger.warning(
                "Connect message %s for envelope %s parked: %s",
                event.pk,
                event.docusign_envelope_id,
                reason,
            )
        event.parked_at, event.attempts, event.failure_reason = now, attempts, reason
        return "parked" if changed else "gone"
    # A rate limit waits for DocuSign's reset and is not an attempt; a connection problem
    # never parks but its wait still grows: a connection broken for a day is not retried
    # every few seconds.
    if isinstance(failure.retry_at, datetime):
        attempts = event.attempts
    due = failure.retry_at or now + retries.CONNECT_MESSAGE.after(attempts)
    changed = _pending(event).update(
        next_attempt_at=max(due, now), attempts=attempts, failure_reason=failure.reason
    )
    event.next_attempt_at, event.attempts, event.failure_reason = due, attempts, failure.reason
    return "waiting" if changed else "gone"


def _pending(event: ConnectEvent):  # type: ignore[no-untyped-def]
    return ConnectEvent.objects.filter(
        pk=event.pk, processed_at__isnull=True, parked_at__isnull=True
    )
