"""One DocuSign API budget per account, shared by every process through the cache (Redis).

DocuSign counts calls per account: an hourly limit (3,000 by default, reset at the top of the
hour) and a burst limit per 30 seconds. Every worker and web process takes a unit here before
each call, so N workers together stay under both limits instead of each finding them by 429:
- the burst limit holds in every sliding 30 s (DocuSign's window is not aligned to :00/:30):
  each call is logged in a sorted set and a call is allowed only while fewer than the limit
  fall in the last 30 s; otherwise the caller waits until the oldest of them leaves it;
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
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from connections.docusign.errors import RateLimited
from connections.docusign.rate_limits import BURST_WINDOW
from connections.docusign.transport import header_int

logger = logging.getLogger("countersign.docusign")

_CACHE_ERRORS: tuple[type[Exception], ...]
try:  # the cache raises redis' own errors when Redis is down
    from redis.exceptions import RedisError

    _CACHE_ERRORS = (RedisError, OSError)
except ImportError:  # pragma: no cover - redis is a dependency
    _CACHE_ERRORS = (OSError,)


# One round trip, atomic across processes: drop calls older than the window, then log this
# call if fewer than `allowance` remain in it, else answer how long until the oldest leaves.
# Redis' own clock, so every node measures the same window. Returns seconds to wait (0: go).
_BURST_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local allowance = tonumber(ARGV[2])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then
  return tostring(blocked - now)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < allowance then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], n - allowance, n - allowance, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now + 0.001)
"""


_LOCAL_LOCK = threading.Lock()


def _redis() -> Any:
    """The raw Redis client behind the cache, or None when the cache is not Redis (local
    development with one process)."""
    backend = caches["default"]  # `cache` is a proxy: the backend itself says what it is
    if not isinstance(backend, RedisCache):
        return None
    # Django's RedisCache keeps its redis-py client factory in `_cache` (no public accessor).
    return getattr(backend, "_cache").get_client(write=True)  # noqa: B009


def _count(key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


@dataclass(frozen=True)
class BudgetState:
    """What the shared budget says now (connections.budget.SharedBudget.state)."""

    hourly_limit: int
    hourly_remaining: int  # our count, lowered by DocuSign's own when it said less
    hourly_reset: float  # when the hourly budget comes back (Unix time)
    burst_limit: int
    burst_remaining: int  # in the last 30 seconds (a sliding window)
    burst_reset: float  # when the oldest call of those leaves the window
    docusign_remaining: int | None  # DocuSign's X-RateLimit-Remaining this hour, if seen
    blocked_until: float | None  # every process waits until then (DocuSign refused us)

    @property
    def hourly_reset_at(self) -> datetime:
        return datetime.fromtimestamp(self.hourly_reset, tz=UTC)

    @property
    def burst_reset_at(self) -> datetime:
        return datetime.fromtimestamp(self.burst_reset, tz=UTC)


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

    def _seen(self, hour: int, now: float) -> tuple[int, int, float] | None:
        """DocuSign's own count this hour (all apps on the account): (remaining, our count
        when it said so, its reset), or None once its reset has passed."""
        seen = cache.get(self._key(f"remaining:{hour}"))
        if seen is None:
            return None
        reset = float(cache.get(self._key(f"reset-at-seen:{hour}")) or hour + 3600)
        if reset <= now:  # DocuSign's hour ended: its old count says nothing any more
            return None
        return int(seen), int(cache.get(self._key(f"used-at-seen:{hour}")) or 0), reset

    def _acquire(self, now: float) -> float:
        hour = int(now - now % 3600)
        reset = float(hour + 3600)
        blocked = cache.get(self._key("blocked-until"))
        if blocked is not None and float(blocked) > now:
            raise self._exhausted(float(blocked))
        used = _count(self._key(f"hour:{hour}"), 3700)
        left = self.hourly_limit - used
        seen = self._seen(hour, now)
        if seen is not None:
            remaining, used_then, reset_seen = seen
            if remaining - (used - used_then) < left:
                left, reset = remaining - (used - used_then), reset_seen
        if left < self.hourly_limit - self._allowance(self.hourly_limit):
            cache.decr(self._key(f"hour:{hour}"))
            raise self._exhausted(reset)
        return self._take_burst(now)

    def _take_burst(self, now: float) -> float:
        """Log this call in the sliding burst window, or say how long until there is room
        (nothing is logged then: the caller asks again after waiting)."""
        allowance = self._allowance(self.burst_limit)
        client = _redis()
        if client is not None:
            keys = [cache.make_key(self._key(name)) for name in ("burst-log", "burst-block")]
            member = f"{now:.6f}:{secrets.token_hex(4)}"
            wait = client.eval(_BURST_SCRIPT, 2, *keys, BURST_WINDOW, allowance, member)
            return max(0.0, float(wait))
        with _LOCAL_LOCK:
            return self._take_burst_locally(now, allowance)

    def _take_burst_locally(self, now: float, allowance: int) -> float:
        """One process without Redis: the same sliding log, kept in the local cache."""
        blocked = float(cache.get(self._key("burst-block")) or 0)
        if blocked > now:
            return blocked - now
        calls = [t for t in cache.get(self._key("burst-log")) or [] if t > now - BURST_WINDOW]
        if len(calls) < allowance:
            cache.set(self._key("burst-log"), [*calls, now], timeout=BURST_WINDOW + 1)
            return 0.0
        return float(sorted(calls)[len(calls) - allowance]) + BURST_WINDOW - now + 0.001

    def _burst_in_window(self, now: float) -> tuple[int, float]:
        """(calls in the last 30 s, when the oldest of them leaves the window)."""
        client = _redis()
        if client is not None:
            key = cache.make_key(self._key("burst-log"))
            # Redis' clock decides the window in acquire; ours is close enough to show it.
            found = client.zrangebyscore(key, now - BURST_WINDOW, "+inf", withscores=True)
            times = [float(score) for _, score in found]
        else:
            times = [t for t in cache.get(self._key("burst-log")) or [] if t > now - BURST_WINDOW]
        return len(times), (min(times) + BURST_WINDOW if times else now)

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
            cache.set(self._key(f"reset-at-seen:{hour}"), reset or hour + 3600, timeout=3700)
            if remaining <= 0 and reset is not None and reset > now:
                self.block(float(reset))
        except _CACHE_ERRORS:
            return

    def state(self, now: float | None = None) -> BudgetState | None:
        """What the budget says now, without spending any of it; None if the cache is down.
        The System status page and the metrics show this (ApiCall is the history)."""
        now = time.time() if now is None else now
        hour = int(now - now % 3600)
        try:
            used = int(cache.get(self._key(f"hour:{hour}")) or 0)
            in_window, burst_reset = self._burst_in_window(now)
            seen = self._seen(hour, now)
            blocked = cache.get(self._key("blocked-until"))
        except _CACHE_ERRORS:
            return None
        remaining, reset = self.hourly_limit - used, float(hour + 3600)
        if seen is not None and seen[0] - (used - seen[1]) < remaining:
            remaining, reset = seen[0] - (used - seen[1]), seen[2]
        blocked_until = float(blocked) if blocked is not None and float(blocked) > now else None
        return BudgetState(
            hourly_limit=self.hourly_limit,
            hourly_remaining=0 if blocked_until else max(0, remaining),
            hourly_reset=blocked_until or reset,
            burst_limit=self.burst_limit,
            burst_remaining=max(0, self.burst_limit - in_window),
            burst_reset=burst_reset,
            docusign_remaining=seen[0] if seen is not None else None,
            blocked_until=blocked_until,
        )

    def limited(self, error: RateLimited) -> None:
        """DocuSign refused a call: make every process wait as long as DocuSign asks."""
        if error.retry_at is None or error.scope not in (RateLimited.HOURLY, RateLimited.BURST):
            return  # per-envelope limits concern one envelope, not the account
        try:
            if error.scope == RateLimited.HOURLY:
                self.block(error.retry_at)
            else:  # nobody tries again until DocuSign's window has passed
                until = min(error.retry_at, time.time() + BURST_WINDOW)
                client = _redis()
                if client is not None:
                    key = cache.make_key(self._key("burst-block"))
                    # Redis' clock: the script compares against it.
                    seconds, micros = client.time()
                    server_now = float(seconds) + float(micros) / 1e6
                    client.set(key, server_now + (until - time.time()), ex=BURST_WINDOW + 1)
                else:
                    cache.set(self._key("burst-block"), until, timeout=BURST_WINDOW + 1)
        except _CACHE_ERRORS:
            return

    def block(self, until: float) -> None:
        ttl = max(1, int(until - time.time()) + 1)
        cache.set(self._key("blocked-until"), until, timeout=ttl)
