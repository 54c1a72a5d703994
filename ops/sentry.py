"""Optional error reporting to Sentry (SENTRY_DSN), with secrets scrubbed before sending.

Local variables and request bodies are never attached (they can hold a private key being
pasted, a token, an uploaded document); what is sent still passes `before_send`, which
drops cookies and form data and scrubs every string by name and by shape (ops.scrub).
"""

from typing import Any

from common.request_id import current_request_id
from ops.scrub import REDACTED, scrub, scrub_text


def before_send(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies"):
            if key in request:
                request[key] = REDACTED
        if isinstance(request.get("query_string"), str):
            request["query_string"] = scrub_text(request["query_string"])
    # Celery's integration attaches the task's arguments; ours are ids, but drop them anyway.
    job = (event.get("extra") or {}).get("celery-job")
    if isinstance(job, dict):
        job.pop("args", None)
        job.pop("kwargs", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    rid = current_request_id()
    if rid:
        event.setdefault("tags", {})["request_id"] = rid
    scrubbed: dict[str, Any] = scrub(event)
    return scrubbed


def init_sentry(dsn: str, *, environment: str, release: str = "", transport: Any = None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": before_send,
        "traces_sample_rate": 0.0,
    }
    if release:
        options["release"] = release
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
