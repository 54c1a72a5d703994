"""DocuSign failures as exception types, each with the fix a staff member can apply.

One table (`_OAUTH_ERRORS`, `_API_ERRORS`) maps DocuSign's codes to types: the admin, the
wizard, `docusign_check`, tasks and logs all read the same `advice`. Messages never carry a
token, an assertion or a key: only DocuSign's own error text, which holds none of those.
"""

import time
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests


class DocuSignError(Exception):
    title: ClassVar[str] = "DocuSign returned an error"
    advice: str = (
        "DocuSign refused the request. The error code and message above say why; if they "
        "don't help, search DocuSign's error-code list for the code."
    )
    retryable: bool = False
    default_code: ClassVar[str] = ""

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        error_code: str = "",
        advice: str | None = None,
    ) -> None:
        self.detail = detail
        self.status = status
        self.error_code = error_code or self.default_code
        if advice is not None:
            self.advice = advice
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.title]
        if self.error_code:
            parts.append(f"[{self.error_code}]")
        if self.status:
            parts.append(f"(HTTP {self.status})")
        text = " ".join(parts)
        return f"{text}: {self.detail}" if self.detail else text

    def as_dict(self) -> dict[str, Any]:
        """What the check, the wizard and ApiCall rows store: safe to show and to log."""
        return {
            "title": self.title,
            "status": self.status,
            "error_code": self.error_code,
            "detail": self.detail,
            "advice": self.advice,
            "retryable": self.retryable,
        }


# --- OAuth (account server) -----------------------------------------------------------


class ConsentRequired(DocuSignError):
    title = "The DocuSign user has not granted consent"
    default_code = "consent_required"
    _advice = (
        "The impersonated DocuSign user must allow this integration key to act for them "
        "(scopes 'signature impersonation'). Send them the consent link{where} and ask them to "
        "log in as that user and click Accept; an organisation administrator can grant "
        "administrative consent instead. Consent is per environment: demo consent does not "
        "carry over to production."
    )

    def __init__(self, detail: str = "", *, consent_url: str = "", **kwargs: Any) -> None:
        self.consent_url = consent_url
        where = f" ({consent_url})" if consent_url else ""
        kwargs.setdefault("advice", self._advice.format(where=where))
        super().__init__(detail, **kwargs)


class InvalidGrant(DocuSignError):
    title = "DocuSign rejected the JWT assertion"
    default_code = "invalid_grant"
    advice = (
        "DocuSign did not accept the signed request for a token. Check the integration key, "
        "the user ID and the RSA keypair on DocuSign's Apps and Keys page for this "
        "environment."
    )


class UserNotFound(InvalidGrant):
    title = "DocuSign does not know the impersonated user"
    advice = (
        "The user ID is not a user of this DocuSign environment, or the user is inactive. "
        "Copy the 'User ID' (a GUID, not the email) from the Apps and Keys page of the same "
        "environment (demo and production user IDs differ)."
    )


class NoValidKeysOrSignatures(InvalidGrant):
    title = "The RSA key does not match the integration key"
    advice = (
        "DocuSign could not verify the assertion's signature. The private key here must belong "
        "to an RSA keypair listed under this integration key on the Apps and Keys page of the "
        "same environment (a demo keypair does not work in production). Generate a new keypair "
        "here and upload its public key, or paste the private key DocuSign showed you."
    )


class IssuerNotFound(InvalidGrant):
    title = "DocuSign does not know the integration key"
    advice = (
        "The integration key does not exist in this environment. Check you copied the "
        "'Integration Key' of the right app, and that the connection's environment (demo or "
        "production) matches where the app lives: production keys exist only after Go-Live."
    )


class ExpiredGrant(InvalidGrant):
    title = "DocuSign says the assertion has expired"
    advice = (
        "The assertion's time window had passed when DocuSign received it. This usually means "
        "the server's clock is wrong: synchronise it (NTP) and try again."
    )


class KeyNotLoadable(DocuSignError):
    title = "The stored RSA private key cannot be used"
    default_code = "key_not_loadable"
    advice = (
        "The private key stored for this connection could not be loaded. Paste the private key "
        "again, or generate a new keypair and upload its public key to DocuSign."
    )


class AccountNotAccessible(DocuSignError):
    title = "The account is not available to the impersonated user"
    default_code = "account_not_accessible"
    advice = (
        "The account ID is not one of the impersonated user's accounts. Copy the 'API Account "
        "ID' from the Apps and Keys page of the same environment, or clear it to use the "
        "user's default account."
    )


class BaseUriMismatch(DocuSignError):
    title = "The base URI does not match the account"
    default_code = "base_uri_mismatch"
    advice = (
        "DocuSign serves each account from one base URI (e.g. https://na3.docusign.net). Use "
        "the 'Account Base URI' from the Apps and Keys page, or clear the field to have it "
        "discovered."
    )


# --- Transport ------------------------------------------------------------------------


class DocuSignUnreachable(DocuSignError):
    title = "DocuSign could not be reached"
    default_code = "unreachable"
    retryable = True
    advice = (
        "The request did not reach DocuSign or no answer came back in time (DNS, TLS, "
        "firewall or timeout). Check this server's outbound HTTPS access to DocuSign and "
        "DOCUSIGN_CA_BUNDLE; transient failures are retried automatically."
    )


class HostNotAllowed(DocuSignError):
    title = "Refused to send credentials to a host that is not DocuSign"
    default_code = "host_not_allowed"
    advice = (
        "The base URI points at a host outside DOCUSIGN_ALLOWED_API_HOSTS. Use the account "
        "base URI DocuSign gives (userinfo or the Apps and Keys page)."
    )


class DocuSignServerError(DocuSignError):
    title = "DocuSign had an internal error"
    default_code = "server_error"
    retryable = True
    advice = (
        "DocuSign answered with a server error. This is usually brief and retried "
        "automatically; if it persists, check DocuSign's status page."
    )


class RateLimited(DocuSignError):
    """One of DocuSign's limits was hit. `scope` says which, `retry_at` (Unix seconds) when
    DocuSign will accept calls again: a burst clears within 30 s, an hourly limit at the
    top of the hour (`X-RateLimit-Reset`)."""

    title = "DocuSign's API limit was reached"
    default_code = "rate_limited"
    retryable = True
    advice = (
        "The account used up its DocuSign API calls for now (3,000 an hour by default, plus a "
        "30-second burst limit). Calls resume when the limit resets; reduce polling or ask "
        "DocuSign to raise the limit."
    )
    BURST, HOURLY, ENVELOPE_BURST, ENVELOPE_HOURLY = (
        "burst",
        "hourly",
        "envelope-burst",
        "envelope-hourly",
    )

    def __init__(
        self,
        detail: str = "",
        *,
        retry_after: float | None = None,
        scope: str = "burst",
        retry_at: float | None = None,
        **kw: Any,
    ) -> None:
        self.retry_after = retry_after
        self.scope = scope
        self.retry_at = retry_at
        super().__init__(detail, **kw)

    @property
    def is_burst(self) -> bool:
        return self.scope in (self.BURST, self.ENVELOPE_BURST)

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_at is None:
            return text
        when = datetime.fromtimestamp(self.retry_at, tz=UTC).strftime("%H:%M:%S UTC")
        return f"{text}. DocuSign accepts calls again at {when}"


class AuthenticationFailed(DocuSignError):
    title = "DocuSign did not accept the access token"
    default_code = "USER_AUTHENTICATION_FAILED"
    advice = (
        "The access token was refused (expired or revoked). A fresh token is minted "
        "automatically once; if this persists, run the connection check."
    )


class ApiError(DocuSignError):
    """Any other DocuSign `{errorCode, message}` answer."""


# Advice for eSignature error codes people meet (D-ERR); others fall back to ApiError's.
_API_ADVICE: dict[str, str] = {
    "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT": "A recipient's email address is not valid. "
    "Correct it and send again.",
    "ENVELOPE_DOES_NOT_EXIST": "DocuSign has no envelope with that ID in this account.",
    "ENVELOPE_CANNOT_VOID_INVALID_STATE": "Only envelopes that are still in progress can be "
    "voided; completed, declined and draft envelopes cannot.",
    "TEMPLATE_ID_INVALID": "The DocuSign template does not exist in this account or is not "
    "shared with the impersonated user. Refresh the template list.",
    "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT": AccountNotAccessible.advice,
    "ACCOUNT_LACKS_PERMISSIONS": "The DocuSign account's plan does not allow this feature.",
    "USER_LACKS_PERMISSIONS": "The impersonated DocuSign user lacks the permission for this "
    "action; give them sending rights (or a DS Admin role) in DocuSign Admin.",
    "PARTNER_AUTHENTICATION_FAILED": IssuerNotFound.advice,
}

_RATE_LIMIT_CODES = {
    "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
    "BURST_APIINVOCATION_LIMIT_EXCEEDED",
    "HOURLY_ENVELOPE_POLLING_LIMIT_EXCEEDED",
    "BURST_ENVELOPE_POLLING_LIMIT_EXCEEDED",
    "HOURLY_APIINVOCATION_ENVELOPE_LIMIT_EXCEEDED",
    "BURST_APIINVOCATION_ENVELOPE_LIMIT_EXCEEDED",
}

_INVALID_GRANT_TYPES: dict[str, type[InvalidGrant]] = {
    "user_not_found": UserNotFound,
    "invalid_subject": UserNotFound,
    "no_valid_keys_or_signatures": NoValidKeysOrSignatures,
    "issuer_not_found": IssuerNotFound,
    "expired_grant": ExpiredGrant,
}


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


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


def error_from_response(response: requests.Response, *, consent_url: str = "") -> DocuSignError:
    """Turn a non-2xx DocuSign answer (OAuth or eSignature) into its exception type."""
    status = response.status_code
    body = _json(response)
    if "error" in body:  # OAuth: {"error": "...", "error_description": "..."}
        code = str(body.get("error") or "")
        description = str(body.get("error_description") or "")
        if code == "consent_required":
            return ConsentRequired(description, status=status, consent_url=consent_url)
        if code == "invalid_grant":
            cls = _INVALID_GRANT_TYPES.get(description, InvalidGrant)
            full_code = f"{code}/{description}" if description else code
            return cls(description or code, status=status, error_code=full_code)
        if status == 401:
            return AuthenticationFailed(description or code, status=status, error_code=code)
        detail = description or code
        if status >= 500:
            return DocuSignServerError(detail, status=status, error_code=code)
        return ApiError(detail, status=status, error_code=code)
    code = str(body.get("errorCode") or "")
    message = str(body.get("message") or "")
    if status == 429 or code.upper() in _RATE_LIMIT_CODES:
        scope, retry_at = rate_limit_scope(response, code)
        return RateLimited(
            message or "API limit was reached",
            status=status,
            error_code=code or "rate_limited",
            retry_after=retry_after_seconds(response),
            scope=scope,
            retry_at=retry_at,
        )
    if status == 401 or code in ("USER_AUTHENTICATION_FAILED", "AUTHORIZATION_INVALID_TOKEN"):
        return AuthenticationFailed(message, status=status, error_code=code)
    if code == "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT":
        return AccountNotAccessible(message, status=status, error_code=code)
    if status >= 500 and not code:
        return DocuSignServerError(f"HTTP {status} from DocuSign", status=status)
    if status >= 500:
        return DocuSignServerError(message, status=status, error_code=code)
    if not code:
        return ApiError(f"HTTP {status} with no DocuSign error body", status=status)
    return ApiError(message, status=status, error_code=code, advice=_API_ADVICE.get(code))
