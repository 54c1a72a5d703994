"""DocuSign's API limits: per account per hour and per 30 s (burst), and per envelope
(GETs, and PUTs, on one envelope and its parts, per 30 s and per hour). Counters live in
the cache.

Every answer carries the five headers DocuSign documents; a refusal carries them too, with
the exhausted one's Remaining at 0. The hourly refusal is 429 by default (or 400, as seen in
production), the burst refusal 429, the per-envelope ones 400 with their own codes.
Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/rules-and-limits/
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from simulator.esign.wire import ApiError
from simulator.models import SimBehaviour

HOUR, BURST_WINDOW = 3600, 30


@dataclass(frozen=True)
class Verdict:
    headers: dict[str, str]
    refusal: ApiError | None


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _limits(behaviour: SimBehaviour) -> tuple[int, int]:
    hourly = behaviour.hourly_limit or int(settings.SIMULATOR_HOURLY_LIMIT)
    return hourly, behaviour.burst_limit or int(settings.SIMULATOR_BURST_LIMIT)


def _hour(account_id: str, length: int) -> tuple[str, int]:
    now = int(time.time())
    start = now - now % length
    return f"sim-rate:{account_id}:{length}:{start}", start


def _burst(account_id: str) -> tuple[str, int]:
    now = int(time.time())
    start = now - now % BURST_WINDOW
    return f"sim-burst:{account_id}:{start}", start


def exhaust(account_id: str, behaviour: SimBehaviour, *, burst: bool = False) -> int:
    """Spend the rest of the account's current hour (or 30-second burst window), as other
    apps on the account would: every call answers 429 until it ends. Returns when it ends."""
    hourly, burst_limit = _limits(behaviour)
    if burst:
        key, start = _burst(account_id)
        cache.set(key, burst_limit, timeout=BURST_WINDOW)
        return start + BURST_WINDOW
    hour = behaviour.hourly_window_seconds or HOUR
    key, start = _hour(account_id, hour)
    cache.set(key, hourly, timeout=hour)
    return start + hour


def charge(
    account_id: str, behaviour: SimBehaviour, *, envelope_id: str = "", method: str = "GET"
) -> Verdict:
    """Count one call; a GET or PUT on an envelope also counts against that envelope."""
    hourly, burst = _limits(behaviour)
    hour = behaviour.hourly_window_seconds or HOUR
    hour_key, hour_start = _hour(account_id, hour)
    burst_key, burst_start = _burst(account_id)
    used = _count(hour_key, hour)
    burst_used = _count(burst_key, BURST_WINDOW)
    headers = {
        "X-RateLimit-Limit": str(hourly),
        "X-RateLimit-Remaining": str(max(hourly - used, 0)),
        "X-RateLimit-Reset": str(hour_start + hour),
        "X-BurstLimit-Limit": str(burst),
        "X-BurstLimit-Remaining": str(max(burst - burst_used, 0)),
    }
    if used > hourly:
        return Verdict(
            headers,
            ApiError(
                "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
                "The maximum number of hourly API invocations has been exceeded. The hourly "
                f"limit is {hourly}.",
                behaviour.hourly_limit_status,
            ),
        )
    if burst_used > burst:
        return Verdict(
            headers,
            ApiError(
                "BURST_APIINVOCATION_LIMIT_EXCEEDED",
                f"The maximum number of API invocations in 30 seconds has been exceeded ({burst}).",
                429,
            ),
        )
    if envelope_id and method in ("GET", "PUT"):
        return Verdict(
            headers, _per_envelope(envelope_id, method, behaviour, (hour_start, burst_start))
        )
    return Verdict(headers, None)


def _per_envelope(
    envelope_id: str, method: str, behaviour: SimBehaviour, starts: tuple[int, int]
) -> ApiError | None:
    if method == "GET":
        kind, what = "Envelope_Polling", "polled"
        limits = (behaviour.envelope_poll_hourly_limit, behaviour.envelope_poll_burst_limit)
    else:
        kind, what = "APIInvocation_Envelope", "updated"
        limits = (behaviour.envelope_update_hourly_limit, behaviour.envelope_update_burst_limit)
    windows = (
        ("Hourly", HOUR, starts[0], "an hour"),
        ("Burst", BURST_WINDOW, starts[1], "30 seconds"),
    )
    for (name, window, start, span), limit in zip(windows, limits, strict=True):
        if limit and _count(f"sim-{kind}-{name}:{envelope_id}:{start}", window) > limit:
            # DocuSign's rules page spells these codes in mixed case; its index in capitals.
            return ApiError(
                f"{name}_{kind}_Limit_Exceeded",
                f"This envelope was {what} more than {limit} times in {span}. Use Connect or "
                "listStatusChanges rather than calling one envelope again and again.",
            )
    return None
