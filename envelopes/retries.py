"""Every wait in envelopes in one table: what waits how long, and what counts as an attempt.

A retry's wait doubles from its first one up to a cap (a setting's name is read when used, so
operators and tests can change it). A rate limit waits until the moment DocuSign names and
never counts as an attempt; our own infrastructure failing (database, Redis, broker) is
Celery's to retry and never counts either. A claim older than its lease is presumed dead.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from common.infrastructure import INFRASTRUCTURE_ERRORS


@dataclass(frozen=True)
class Retry:
    """Waits of `first_seconds`, doubling with each attempt up to the cap; `limit` attempts
    (or the setting named by `limit_setting`) before giving up."""

    first_seconds: float
    cap_setting: str = ""  # a setting's name; "" with no cap_seconds: no cap
    cap_seconds: float | None = None
    limit: int | None = None
    limit_setting: str = ""

    def seconds(self, attempts: int) -> float:
        """The wait after `attempts` tries (no try yet waits like the first)."""
        wait: float = self.first_seconds * 2 ** max(0, attempts - 1)
        cap = float(getattr(settings, self.cap_setting)) if self.cap_setting else self.cap_seconds
        return wait if cap is None else min(cap, wait)

    def after(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.seconds(attempts))

    def max_attempts(self) -> int:
        if self.limit_setting:
            return int(getattr(settings, self.limit_setting))
        if self.limit is None:
            raise ValueError("this retry policy has no attempt limit")
        return self.limit


# Sending an envelope and advancing a bulk batch: 2 s, 4 s, 8 s, ….
SEND = Retry(2, "ENVELOPES_RETRY_MAX_SECONDS", limit_setting="ENVELOPES_MAX_SEND_ATTEMPTS")
# One stored Connect message that failed to apply: 5 s, 10 s, 20 s, … then parked.
CONNECT_MESSAGE = Retry(
    5, "ENVELOPES_CONNECT_RETRY_MAX_SECONDS", limit_setting="ENVELOPES_CONNECT_MAX_ATTEMPTS"
)
# A void is never dropped (the request stays on the row): no limit.
VOID = Retry(5, "ENVELOPES_RETRY_MAX_SECONDS")
# A resend, correction or reminder change: DocuSign's retryable answers before it is refused.
CHANGE = Retry(5, "ENVELOPES_RETRY_MAX_SECONDS", limit=5)
# Tasks that only read from DocuSign, retried by Celery (max_retries) without a cap.
REFRESH = Retry(5, limit=3)
LEARN_CORRECTIONS = Retry(5, limit=3)
KEEP_DOCUMENTS = Retry(30, limit=5)
POLL = Retry(30, limit=3)
# Our own infrastructure: Celery's autoretry, with jitter.
INFRASTRUCTURE = Retry(2, cap_seconds=120, limit=10)

# A rate limit that does not say until when.
RATE_LIMIT_UNKNOWN_SECONDS = 30


def celery_retries(policy: Retry = INFRASTRUCTURE) -> dict[str, Any]:
    """A task's options: our infrastructure failing is retried as INFRASTRUCTURE says, and at
    most `policy`'s limit of times in all."""
    return {
        "autoretry_for": INFRASTRUCTURE_ERRORS,
        "retry_backoff": int(INFRASTRUCTURE.first_seconds),
        "retry_backoff_max": int(INFRASTRUCTURE.cap_seconds or 0),
        "retry_jitter": True,
        "max_retries": policy.max_attempts(),
    }


def rate_limited_until(unix_seconds: float | None) -> datetime:
    """When to try again after a rate limit (`RateLimited.retry_at`; 30 s if unknown)."""
    if unix_seconds is None:
        return timezone.now() + timedelta(seconds=RATE_LIMIT_UNKNOWN_SECONDS)
    return datetime.fromtimestamp(unix_seconds, tz=UTC)


def seconds_until(unix_seconds: float) -> float:
    """A countdown to DocuSign's reset, at least a second."""
    return max(1.0, unix_seconds - time.time())


def lease() -> timedelta:
    """A claim older than this is presumed dead (its worker was killed or lost the DB)."""
    return timedelta(seconds=settings.ENVELOPES_SEND_LEASE_SECONDS)


def settle_window() -> timedelta:
    """How long after a create DocuSign may still make the envelope or not yet show it."""
    return timedelta(seconds=settings.DOCUSIGN_READ_TIMEOUT + settings.DOCUSIGN_SEARCH_LAG_SECONDS)
