"""Parsing DocuSign's answers: JSON bodies, the code and message of an error body (OAuth
or eSignature), and the exception a non-2xx answer becomes.

One reader parses DocuSign's bodies, so the client, the auth server, the `ApiCall` audit row
and the connection's last error all agree on a failure's code.
"""

from dataclasses import dataclass
from typing import Any

import requests

from connections.docusign.error_codes import API_ADVICE, REASON_IN_CODE, error_type
from connections.docusign.errors import ConsentRequired, DocuSignError, RateLimited
from connections.docusign.rate_limits import rate_limit_scope, retry_after_seconds


def read_json(response: requests.Response) -> Any:
    """DocuSign's body as JSON (None when empty); DocuSignError when it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise DocuSignError("DocuSign's answer was not JSON", status=response.status_code) from None


@dataclass(frozen=True)
class ErrorBody:
    """The code and message of a DocuSign error body, OAuth or eSignature."""

    code: str = ""
    message: str = ""

    @classmethod
    def of(cls, response: requests.Response) -> "ErrorBody":
        try:
            body = read_json(response)
        except DocuSignError:
            return cls()  # an HTML error page from a proxy, say: the status decides
        if not isinstance(body, dict):
            return cls()
        if "error" in body:  # OAuth: {"error": "...", "error_description": "..."}
            code = str(body.get("error") or "")
            description = str(body.get("error_description") or "")
            if code in REASON_IN_CODE and description:
                return cls(f"{code}/{description}", description)
            return cls(code, description or code)
        return cls(str(body.get("errorCode") or ""), str(body.get("message") or ""))


def error_from_response(response: requests.Response, *, consent_url: str = "") -> DocuSignError:
    """Turn a non-2xx DocuSign answer (OAuth or eSignature) into its exception type."""
    status = response.status_code
    body = ErrorBody.of(response)
    cls = error_type(body.code, status)
    options: dict[str, Any] = {"status": status, "error_code": body.code}
    if body.code in API_ADVICE:
        options["advice"] = API_ADVICE[body.code]
    if issubclass(cls, ConsentRequired):
        options["consent_url"] = consent_url
    if issubclass(cls, RateLimited):
        options["retry_after"] = retry_after_seconds(response)
        options["scope"], options["retry_at"] = rate_limit_scope(response, body.code)
    detail = body.message or cls.empty_detail.format(status=status)
    return cls(detail, **options)


def error_code_of(response: requests.Response) -> str:
    """The code an error answer is recorded under: the same one its exception carries."""
    return error_from_response(response).error_code
