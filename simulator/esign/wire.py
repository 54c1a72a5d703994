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


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("INVALID_REQUEST_BODY", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("INVALID_REQUEST_BODY", "The request body must be a JSON object.")
    return body
