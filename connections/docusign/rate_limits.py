"""Reading a rate-limited answer: which of DocuSign's limits it means and when calls are
accepted again (Retry-After, X-RateLimit-* headers, the 30-second burst window)."""

import time

import requests

from connections.docusign.errors import RateLimited


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


BURST_WINDOW = 30  # seconds: DocuSign's burst limit counts calls per 30 s


def _next_hour(now: float) -> float:
    return now - now % 3600 + 3600


def rate_limit_scope(response: requests.Response, code: str) -> tuple[str, float]:
    """Which limit a rate-limit answer means, and when calls are accepted again.

    DocuSign names the limit in the error code (case varies, FACTS-addendum-A A6.1); a bare 429
    is hourly only when the hourly budget header says 0 left, otherwise a burst.
    """
    now = time.time()
    upper = code.upper()
    retry_after = retry_after_seconds(response)
    reset = _header_float(response, "X-RateLimit-Reset")
    hourly_at = reset if reset is not None and reset > now else _next_hour(now)
    if upper.startswith("HOURLY_") and "ENVELOPE" in upper:
        return RateLimited.ENVELOPE_HOURLY, _next_hour(now)
    if upper == "HOURLY_APIINVOCATION_LIMIT_EXCEEDED":
        return RateLimited.HOURLY, hourly_at
    if not upper.startswith("BURST_") and response.headers.get("X-RateLimit-Remaining") == "0":
        return RateLimited.HOURLY, hourly_at
    scope = RateLimited.ENVELOPE_BURST if "ENVELOPE" in upper else RateLimited.BURST
    wait = min(retry_after, BURST_WINDOW) if retry_after is not None else burst_wait(now)
    return scope, now + wait


def burst_wait(now: float) -> float:
    """Seconds until the current 30-second burst window ends (never more than 30)."""
    return BURST_WINDOW - now % BURST_WINDOW + 0.05


def _header_float(response: requests.Response, name: str) -> float | None:
    try:
        value = response.headers.get(name)
        return float(value) if value is not None else None
    except ValueError:
        return None
