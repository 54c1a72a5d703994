"""DocuSign's wire forms: the `{errorCode, message}` error, dates, JSON request bodies.

Every other simulator module may import this one; it imports none of them.
"""

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        self.code, self.message, self.status = code, message, status
        super().__init__(message)

    def response(self) -> JsonResponse:
        return JsonResponse({"errorCode": self.code, "message": self.message}, status=self.status)


def ds_date(value: datetime | None) -> str:
    """DocuSign's date form: 7 fractional digits and Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f0Z") if value else ""


def now_iso() -> str:
    return ds_date(timezone.now())


# DocuSign's limit on one HTTP request (FACTS §5.2): far above Django's 2.5 MB default, which
# stays in force for the product's own routes.
MAX_REQUEST_BYTES = 35_651_584


def raw_body(request: HttpRequest) -> bytes:
    """The request body up to DocuSign's limit, read from the stream: `request.body` would
    apply Django's DATA_UPLOAD_MAX_MEMORY_SIZE, meant for the product's forms."""
    cached = getattr(request, "_body", None)
    if cached is not None:
        return bytes(cached)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_REQUEST_BYTES:
        raise ApiError(
            "REQUEST_ENTITY_TOO_LARGE",
            f"The request is {length} bytes; DocuSign accepts at most {MAX_REQUEST_BYTES}.",
            413,
        )
    data = request.read()
    request._body = data  # so later reads of request.body see the same bytes
    return data


def json_body(request: HttpRequest, *, required: bool = False) -> dict[str, Any]:
    """The JSON object sent; `required`: DocuSign refuses a missing body with
    INVALID_REQUEST_BODY (it does not read it as {})."""
    raw = raw_body(request)
    if required and not raw.strip():
        raise ApiError(
            "INVALID_REQUEST_BODY",
            "The request body is missing or improperly formatted. A request body is required.",
        )
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("INVALID_REQUEST_BODY", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("INVALID_REQUEST_BODY", "The request body must be a JSON object.")
    return body
