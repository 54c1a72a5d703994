"""Plumbing for the simulated eSignature API: bearer auth, account access, rate limits,
fault injection and DocuSign's `{errorCode, message}` errors.

Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/rules-and-limits/
"""

import functools
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from simulator.esign import lifecycle
from simulator.models import SimAccount, SimFault
from simulator.oauth.services import user_for_token

View = Callable[..., HttpResponse]
# Called with (method, path under /restapi, query, body) for each request answered 2xx:
# the test suite checks every accepted request against DocuSign's official spec.
Observer = Callable[[str, str, dict[str, str], bytes], None]
request_observers: list[Observer] = []


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        self.code, self.message, self.status = code, message, status
        super().__init__(message)

    def response(self) -> JsonResponse:
        return JsonResponse({"errorCode": self.code, "message": self.message}, status=self.status)


def ds_date(value: datetime | None) -> str:
    """DocuSign's date form: 7 fractional digits and Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f0Z") if value else ""


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("INVALID_REQUEST_BODY", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("INVALID_REQUEST_BODY", "The request body must be a JSON object.")
    return body


def _limits() -> tuple[int, int]:
    return int(settings.SIMULATOR_HOURLY_LIMIT), int(settings.SIMULATOR_BURST_LIMIT)


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _rate_limit(account_id: str) -> tuple[dict[str, str], ApiError | None]:
    hourly, burst = _limits()
    now = int(time.time())
    hour_start, burst_start = now - now % 3600, now - now % 30
    used = _count(f"sim-rate:{account_id}:{hour_start}", 3600)
    burst_used = _count(f"sim-burst:{account_id}:{burst_start}", 30)
    headers = {
        "X-RateLimit-Limit": str(hourly),
        "X-RateLimit-Remaining": str(max(hourly - used, 0)),
        "X-RateLimit-Reset": str(hour_start + 3600),
        "X-BurstLimit-Limit": str(burst),
        "X-BurstLimit-Remaining": str(max(burst - burst_used, 0)),
    }
    if used > hourly:
        return headers, ApiError(
            "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
            "The maximum number of hourly API invocations has been exceeded. The hourly limit "
            f"is {hourly}.",
            429,
        )
    if burst_used > burst:
        return headers, ApiError(
            "BURST_APIINVOCATION_LIMIT_EXCEEDED",
            f"The maximum number of API invocations in 30 seconds has been exceeded ({burst}).",
            429,
        )
    return headers, None


def take_fault(path: str) -> SimFault | None:
    """Consume one injected fault matching `path`, atomically across processes."""
    with transaction.atomic():
        for fault in SimFault.objects.select_for_update().filter(remaining__gt=0).order_by("pk"):
            if fault.path_contains in path:
                fault.remaining -= 1
                fault.save(update_fields=["remaining"])
                return fault
    return None


def inject_fault(
    *, status: int = 503, count: int = 1, path_contains: str = "", delay_ms: int = 0
) -> SimFault:
    """For tests and the faults page: the next `count` matching requests fail (or are slow)."""
    return SimFault.objects.create(
        status=status, remaining=count, path_contains=path_contains, delay_ms=delay_ms
    )


def api_view(view: View) -> View:
    """Authenticate the bearer token, check the account, apply faults and limits."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, account_id: str, **kwargs: Any) -> HttpResponse:
        fault = take_fault(request.path)
        if fault is not None:
            time.sleep(fault.delay_ms / 1000)
            if fault.status >= 400:
                return ApiError(
                    "SIMULATED_FAULT", "Injected by the simulator.", fault.status
                ).response()
        header = request.headers.get("Authorization", "")
        token, _why = user_for_token(header.removeprefix("Bearer ").strip())
        if not header.startswith("Bearer ") or token is None or token.user is None:
            return ApiError(
                "USER_AUTHENTICATION_FAILED",
                "One or both of Username and Password are invalid. Invalid access token",
                401,
            ).response()
        account = SimAccount.objects.filter(
            account_id=account_id.lower(), simmembership__user=token.user
        ).first()
        if account is None:
            return ApiError(
                "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT",
                "The specified User is not a member of the specified Account.",
            ).response()
        lifecycle.auto_sign_due(account.pk, after_seconds=settings.SIMULATOR_AUTO_SIGN_SECONDS)
        headers, limited = _rate_limit(account.account_id)
        try:
            if limited:
                raise limited
            response = view(request, account=account, user=token.user, **kwargs)
        except ApiError as exc:
            response = exc.response()
        for name, value in headers.items():
            response[name] = value
        if 200 <= response.status_code < 300:
            _notify(request)
        return response

    return wrapper


def _notify(request: HttpRequest) -> None:
    path = request.path.split("/restapi", 1)[-1]
    query = {k: str(request.GET.get(k, "")) for k in request.GET}
    for observer in request_observers:
        observer(request.method or "GET", path, query, request.body)
