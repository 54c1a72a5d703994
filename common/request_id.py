"""One request id per web request, carried into the Celery tasks it causes.

The id lives in a context variable: Django's request_started signal sets it (honouring a
sane incoming `X-Request-ID`), Celery's publish signal copies it into the task's headers,
and the worker restores it before the task runs. Log lines (`ops.logs.RequestContextFilter`)
and `ApiCall` rows (the field's default) read it, so one grep follows a send end to end.
"""

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # settings import this module: keep Django out of its import
    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "countersign_request_id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

request_id_var: ContextVar[str] = ContextVar("countersign_request_id", default="")
task_name_var: ContextVar[str] = ContextVar("countersign_task_name", default="")


def current_request_id() -> str:
    """The id of the request or task this code runs for; '' outside both."""
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_or_make(incoming: str | None) -> str:
    """An incoming id is kept only if it is short and plain (it goes into logs and rows)."""
    if incoming and _SANE.match(incoming):
        return incoming
    return new_request_id()


def _on_request_started(sender: Any, environ: dict[str, Any] | None = None, **_: Any) -> None:
    # From the very start of the request to its end (request_finished), so Django's own
    # lines (django.request's 4xx/5xx warnings, logged after the middleware) carry it too.
    request_id_var.set(accept_or_make((environ or {}).get("HTTP_X_REQUEST_ID")))


def _on_request_finished(sender: Any, **_: Any) -> None:
    request_id_var.set("")


class RequestIdMiddleware:
    """Sends the id back in `X-Request-ID` (and makes one if no request_started came)."""

    def __init__(self, get_response: "Callable[[HttpRequest], HttpResponse]") -> None:
        self.get_response = get_response

    def __call__(self, request: "HttpRequest") -> "HttpResponse":
        value = current_request_id()
        if value:
            response = self.get_response(request)
        else:
            value = accept_or_make(request.headers.get(HEADER))
            token = request_id_var.set(value)
            try:
                response = self.get_response(request)
            finally:
                request_id_var.reset(token)
        response[HEADER] = value
        return response


# --- Celery ------------------------------------------------------------------------------


def _on_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    value = current_request_id()
    if value and headers is not None:
        headers[TASK_HEADER] = value


def _task_request_id(task: Any) -> str:
    request = getattr(task, "request", None)
    value = getattr(request, TASK_HEADER, None)
    if not value:
        headers = getattr(request, "headers", None) or {}
        value = headers.get(TASK_HEADER) if isinstance(headers, dict) else None
    return str(value) if value and _SANE.match(str(value)) else ""


_tokens: dict[str, tuple[Any, Any]] = {}


def _on_prerun(task_id: str = "", task: Any = None, **_: Any) -> None:
    # Eager tasks run inside the request and keep its id; a worker restores it from the
    # headers; work nobody asked for (beat) gets an id of its own.
    value = _task_request_id(task) or current_request_id() or f"task-{new_request_id()}"
    _tokens[task_id] = (
        request_id_var.set(value),
        task_name_var.set(str(getattr(task, "name", ""))),
    )


def _on_postrun(task_id: str = "", **_: Any) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens is not None:
        request_id_var.reset(tokens[0])
        task_name_var.reset(tokens[1])


def connect_signals() -> None:
    from celery import signals
    from django.core.signals import request_finished, request_started

    request_started.connect(_on_request_started, dispatch_uid="ops-rid-start")
    request_finished.connect(_on_request_finished, dispatch_uid="ops-rid-finish")

    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="ops-rid-pub")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="ops-rid-pre")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="ops-rid-post")
