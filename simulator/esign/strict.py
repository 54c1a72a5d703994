"""DocuSign's spec, enforced at run time: every request is matched to an operation of the
official eSignature spec and checked the way the strictest reading of that spec allows.

The rules come from schema/docusign.json, derived from DocuSign's spec by schema/derive.py:
objects accept only the properties the spec defines (at every depth), scalars must have the
spec's type (DocuSign types nearly all of them as strings, so `"routingOrder": 1` fails),
query parameters must be ones the operation lists, and bodies must be JSON.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.http import HttpRequest

from simulator.esign.wire import ApiError

SCHEMA = Path(__file__).with_name("schema") / "docusign.json"
MAX_REPORTED = 3  # schema errors named in one message


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    template: str
    query: frozenset[str]
    validator: jsonschema.Draft4Validator | None


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    return schema


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


@cache
def _routes() -> list[tuple[re.Pattern[str], str, str, Operation | None]]:
    """(pattern, method, operationId, Operation if simulated), literal segments first."""
    schema = _schema()
    routes: list[tuple[re.Pattern[str], str, str, Operation | None]] = []
    for op_id, op in schema["operations"].items():
        validator = None
        if op["body"] is not None:
            validator = jsonschema.Draft4Validator(
                {**op["body"], "definitions": schema["definitions"]}
            )
        operation = Operation(op_id, op["method"], op["path"], frozenset(op["query"]), validator)
        routes.append((_pattern(op["path"]), op["method"], op_id, operation))
    for method, template, op_id in schema["not_simulated"]:
        routes.append((_pattern(template), method, op_id, None))
    # /envelopes/status must win over /envelopes/{envelopeId}.
    routes.sort(key=lambda r: r[0].pattern.count("[^/]+"))
    return routes


def operation_for(method: str, path: str) -> Operation:
    """The simulated operation for a path under /restapi, or DocuSign's error for it."""
    path_known = False
    for pattern, route_method, op_id, operation in _routes():
        if not pattern.match(path):
            continue
        path_known = True
        if route_method != method:
            continue
        if operation is None:
            raise ApiError(
                "OPERATION_NOT_SIMULATED",
                f"{op_id} ({method} {path}) is part of DocuSign's eSignature API, but the "
                "simulator does not simulate it.",
                501,
            )
        return operation
    if path_known:
        raise ApiError("INVALID_REQUEST_METHOD", f"{method} is not allowed on {path}.", 405)
    raise ApiError(
        "RESOURCE_NOT_FOUND", f"{path} is not a resource of DocuSign's eSignature API.", 404
    )


def check(request: HttpRequest, operation: Operation) -> None:
    """Raise DocuSign's error for what the spec does not allow in this request."""
    unknown = sorted(set(request.GET) - operation.query)
    if unknown:
        allowed = ", ".join(sorted(operation.query)) or "none"
        raise ApiError(
            "INVALID_REQUEST_PARAMETER",
            f"{operation.id} does not take the query parameter(s) {', '.join(unknown)} "
            f"(it takes: {allowed}).",
        )
    if not request.body:
        return
    if operation.validator is None:
        raise ApiError("INVALID_REQUEST_BODY", f"{operation.id} takes no request body.")
    if request.content_type != "application/json":
        raise ApiError(
            "INVALID_CONTENT_TYPE",
            f"Content type '{request.content_type or '(none)'}' is not supported; send "
            "application/json.",
            415,
        )
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("INVALID_REQUEST_BODY", "The request body is not valid JSON.") from None
    errors = sorted(
        operation.validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if errors:
        found = [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in errors[:MAX_REPORTED]
        ]
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise ApiError(
            "INVALID_REQUEST_BODY",
            f"The request body does not match DocuSign's {operation.id} schema: "
            + "; ".join(found)
            + more,
        )
