"""One DocuSign API budget per account, shared by every process through the cache (Redis).

DocuSign counts calls per account: an hourly limit (3,000 by default, reset at the top of the
hour) and a burst limit per 30 seconds. Every worker and web process takes a unit here before
each call, so N workers together stay under both limits instead of each finding them by 429:
- a burst window that is used up makes the caller wait for the next window (at most 30 s);
- an hourly budget that is used up (by our count, or by DocuSign's `X-RateLimit-Remaining`,
  which includes other apps on the account) raises `RateLimited` at once with `retry_at`:
  tasks reschedule themselves, web requests say when to try again; nobody sleeps an hour;
- interactive calls (a person waiting: signing, downloads) may use a reserved share of both
  budgets that background work (sending, polling, Connect fetches) leaves alone.
If the cache is down, calls go ahead unpaced (DocuSign's own answers still protect us).
Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/rules-and-limits/
"""

import logging
import math
import time

import requests
from django.conf import settings
from django.core.cache import cache

from connections.docusign.errors import BURST_WINDOW, RateLimited, burst_wait
from connections.docusign.transport import header_int

logger = logging.getLogger("countersign.docusign")

_CACHE_ERRORS: tuple[type[Exception], ...]
try:  # the cache raises redis' own errors when Redis is down
    from redis.exceptions import RedisError

    _CACHE_ERRORS = (RedisError, OSError)
except ImportError:  # pragma: no cover - redis is a dependency
    _CACHE_ERRORS = (OSError,)


def _count(key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


class SharedBudget:
    """The pacing the DocuSign client asks before each call (see the module docstring)."""

    def __init__(self, account_id: str, *, interactive: bool = False) -> None:
        self.account_id = account_id
        self.interactive = interactive
        self.hourly_limit = int(settings.DOCUSIGN_HOURLY_LIMIT)
        self.burst_limit = int(settings.DOCUSIGN_BURST_LIMIT)
        self.reserve = float(settings.DOCUSIGN_INTERACTIVE_RESERVE)

    def _key(self, name: str) -> str:
        return f"docusign-budget:{self.account_id}:{name}"

    def _allowance(self, limit: int) -> int:
        """Background work leaves the interactive reserve of each budget unused."""
        if self.interactive:
            return limit
        return max(1, limit - math.ceil(limit * self.reserve))

    def acquire(self) -> float:
        """Take one call from the budget. Returns seconds to wait first (the rest of a burst
        window, ≤ 30 s); raises RateLimited when the hourly budget is spent."""
        try:
            return self._acquire(time.time())
        except _CACHE_ERRORS as exc:
            logger.warning("DocuSign budget unavailable (%s): calling unpaced", type(exc).__name__)
            return 0.0

    def _acquire(self, now: float) -> float:
        hour = int(now - now % 3600)
        reset = hour + 3600
        blocked = cache.get(self._key("blocked-until"))
        if blocked is not None and float(blocked) > now:
            raise self._exhausted(float(blocked))
        used = _count(self._key(f"hour:{hour}"), 3700)
        left = self.hourly_limit - used
        seen = cache.get(self._key(f"remaining:{hour}"))  # DocuSign's own count, all apps
        if seen is not None:
            used_then = int(cache.get(self._key(f"used-at-seen:{hour}")) or 0)
            left = min(left, int(seen) - (used - used_then))
        if left < self.hourly_limit - self._allowance(self.hourly_limit):
            cache.decr(self._key(f"hour:{hour}"))
            raise self._exhausted(reset)
        window = int(now - now % BURST_WINDOW)
        in_window = _count(self._key(f"burst:{window}"), BURST_WINDOW * 2)
        if in_window > self._allowance(self.burst_limit):
            return burst_wait(now)
        return 0.0

    def _exhausted(self, until: float) -> RateLimited:
        who = "" if self.interactive else " for background work"
        return RateLimited(
            f"the account's hourly DocuSign budget is used up{who}",
            status=None,
            error_code="HOURLY_BUDGET_SPENT",
            scope=RateLimited.HOURLY,
            retry_at=until,
        )

    def observe(self, response: requests.Response) -> None:
        """Remember what DocuSign says is left this hour (its count includes other apps)."""
        remaining = header_int(response, "X-RateLimit-Remaining")
        if remaining is None:
            return
        now = time.time()
        hour = int(now - now % 3600)
        try:
            cache.set(self._key(f"remaining:{hour}"), remaining, timeout=3700)
            used = cache.get(self._key(f"hour:{hour}")) or 0
            cache.set(self._key(f"used-at-seen:{hour}"), int(used), timeout=3700)
            reset = header_int(response, "X-RateLimit-Reset")
            if remaining <= 0 and reset is not None and reset > now:
                self.block(float(reset))
        except _CACHE_ERRORS:
            return

    def limited(self, error: RateLimited) -> None:
        """DocuSign refused a call: make every process wait as long as DocuSign asks."""
        if error.retry_at is None or error.scope not in (RateLimited.HOURLY, RateLimited.BURST):
            return  # per-envelope limits concern one envelope, not the account
        try:
            if error.scope == RateLimited.HOURLY:
                self.block(error.retry_at)
            else:  # fill the burst window so nobody else tries until it ends
                now = time.time()
                window = int(now - now % BURST_WINDOW)
                cache.set(self._key(f"burst:{window}"), 10**9, timeout=BURST_WINDOW * 2)
        except _CACHE_ERRORS:
            return

    def block(self, until: float) -> None:
        ttl = max(1, int(until - time.time()) + 1)
        cache.set(self._key("blocked-until"), until, timeout=ttl)
