"""The gate of the simulated eSignature API: every request is matched to DocuSign's
operation, checked against its spec, authenticated, counted against the limits, slowed or
broken as configured (simulator.control), then answered.

Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/rules-and-limits/
"""

import functools
import json
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from simulator import control
from simulator.esign import bulk_queue, lifecycle, limits, strict, wire
from simulator.esign.wire import ApiError
from simulator.models import SimAccount, SimBehaviour, SimFault
from simulator.oauth.services import user_for_token

View = Callable[..., HttpResponseBase]
# Called with (method, path under /restapi, query, body) for each request answered 2xx:
# the test suite checks every accepted request against DocuSign's full official spec too.
Observer = Callable[[str, str, dict[str, str], bytes], None]
request_observers: list[Observer] = []
inject_fault = control.inject_fault  # the name tests and benchmarks have used


def take_fault(path: str, operation: str, request: HttpRequest | None = None) -> SimFault | None:
    """Consume one injected fault matching this call, atomically across processes, noting
    when it was taken and, for a create, the envelope's emailSubject."""
    with transaction.atomic():
        for fault in SimFault.objects.select_for_update().filter(remaining__gt=0).order_by("pk"):
            if fault.path_contains in path and fault.operation in ("", operation):
                fault.remaining -= 1
                fault.taken_at = timezone.now()
                fault.taken_for = _subject(request) if operation == control.CREATE else ""
                fault.save(update_fields=["remaining", "taken_at", "taken_for"])
                return fault
    return None


def _subject(request: HttpRequest | None) -> str:
    if request is None or not request.body.lstrip().startswith(b"{"):
        return ""
    try:
        body = json.loads(request.body)
    except ValueError:
        return ""
    subject = body.get("emailSubject") if isinstance(body, dict) else None
    return subject[:100] if isinstance(subject, str) else ""


def _chance(percent: int) -> bool:
    return percent > 0 and secrets.randbelow(100) < percent


def api_view(view: View) -> View:
    """Authenticate the bearer token, check the account, apply faults and limits."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, account_id: str, **kwargs: Any) -> HttpResponseBase:
        path = request.path.split("/restapi", 1)[-1]
        behaviour = control.behaviour()
        try:
            # Read first, up to DocuSign's request limit rather than Django's form limit.
            wire.raw_body(request)
            lifecycle.expire_due()  # DocuSign expires envelopes on its own clock
            operation = strict.operation_for(request.method or "GET", path)
            fault = take_fault(path, operation.id, request)
            _slow_down(operation, fault, behaviour)
            response = _answer(request, view, operation, fault, behaviour, account_id, kwargs)
        except ApiError as exc:
            return exc.response()
        if 200 <= response.status_code < 300:
            _notify(request, path)
        if (fault is not None and fault.drop_connection) or _chance(behaviour.drop_percent):
            return _dropped(request, response)
        return response

    return wrapper


def _slow_down(
    operation: strict.Operation, fault: SimFault | None, behaviour: SimBehaviour
) -> None:
    if fault is not None:
        time.sleep(fault.delay_ms / 1000)
    if operation.id == control.CREATE and _chance(behaviour.slow_create_percent):
        time.sleep(behaviour.slow_create_seconds)
    if fault is not None and fault.status >= 400:
        raise ApiError("SIMULATED_FAULT", "Injected by the simulator.", fault.status)
    if _chance(behaviour.unavailable_percent):
        raise ApiError("SIMULATED_FAULT", "Injected by the simulator (unavailable_percent).", 503)


def _answer(
    request: HttpRequest,
    view: View,
    operation: strict.Operation,
    fault: SimFault | None,
    behaviour: SimBehaviour,
    account_id: str,
    kwargs: dict[str, Any],
) -> HttpResponseBase:
    header = request.headers.get("Authorization", "")
    token, _why = user_for_token(header.removeprefix("Bearer ").strip())
    if not header.startswith("Bearer ") or token is None or token.user is None:
        raise ApiError(
            "USER_AUTHENTICATION_FAILED",
            "One or both of Username and Password are invalid. Invalid access token",
            401,
        )
    account = SimAccount.objects.filter(
        account_id=account_id.lower(), simmembership__user=token.user
    ).first()
    if account is None:
        raise ApiError(
            "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT",
            "The specified User is not a member of the specified Account.",
        )
    lifecycle.auto_sign_due(account.pk, after_seconds=settings.SIMULATOR_AUTO_SIGN_SECONDS)
    bulk_queue.process_due(account)  # bulk copies whose worker thread is gone
    verdict = limits.charge(
        account.account_id,
        behaviour,
        envelope_id=str(kwargs.get("envelope_id", "")).lower(),
        method=request.method or "GET",
    )
    try:
        if verdict.refusal is not None:
            raise verdict.refusal
        strict.check(request, operation)
        response = view(request, account=account, user=token.user, **kwargs)
    except ApiError as exc:
        response = exc.response()
    for name, value in verdict.headers.items():
        response[name] = value
    return response


def _notify(request: HttpRequest, path: str) -> None:
    query = {k: str(request.GET.get(k, "")) for k in request.GET}
    for observer in request_observers:
        observer(request.method or "GET", path, query, request.body)


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """The connection's socket: gunicorn names it; Django's own server (runserver,
    live_server) only reaches it through wsgi.input's reader."""
    found = request.META.get("gunicorn.socket")
    if found is None:
        reader = getattr(getattr(request.META.get("wsgi.input"), "_read", None), "__self__", None)
        found = getattr(getattr(reader, "raw", None), "_sock", None)
    return found if isinstance(found, socket.socket) else None


def _dropped(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """The same answer, cut off half-way: the headers promise the full length, half the body
    arrives, then the connection closes (what a client sees when a proxy or DocuSign drops
    a connection mid-response)."""
    if not isinstance(response, HttpResponse):
        return response  # already streamed (none of the API's answers are)
    content = response.content
    sock = _client_socket(request)

    def half_then_close() -> Iterator[bytes]:
        yield content[: len(content) // 2]
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    dropped = StreamingHttpResponse(half_then_close(), status=response.status_code)
    for name, value in response.items():
        dropped[name] = value
    dropped["Content-Length"] = str(len(content))
    return dropped
