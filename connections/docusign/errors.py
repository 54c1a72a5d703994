"""DocuSign failures as exception types, each with the fix a staff member can apply.

One table (`_ERRORS`) maps DocuSign's codes to types and one reader (`read_json`) parses
DocuSign's bodies, so the client, the auth server, the `ApiCall` audit row and the
connection's last error all agree on a failure's code. The admin, the wizard,
`docusign_check`, tasks and logs all read the same `advice`. Messages never carry a token,
an assertion or a key: only DocuSign's own error text, which holds none of those.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests


class DocuSignError(Exception):
    title: ClassVar[str] = "DocuSign returned an error"
    # The detail when DocuSign's body says nothing ({status} is the HTTP status).
    empty_detail: ClassVar[str] = ""
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

    @property
    def with_advice(self) -> str:
        """The message and its fix, as pages and stored error details show them."""
        return f"{self}. {self.advice}"


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
    empty_detail = "HTTP {status} from DocuSign"
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
    empty_detail = "API limit was reached"
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

    empty_detail = "HTTP {status} with no DocuSign error body"


# --- Raised by Countersign itself -----------------------------------------------------


class ConnectionNotReady(DocuSignError):
    title = "The connection is not set up yet"
    default_code = "connection_not_ready"
    advice = (
        "This connection still lacks its RSA key, account ID or base URI. Finish the setup "
        "wizard or run the connection check, which discovers the account from DocuSign."
    )


class AccountChoiceNeeded(DocuSignError):
    title = "The DocuSign user has several accounts"
    default_code = "account_choice_needed"
    advice = (
        "Choose which account Countersign should use: enter its API Account ID on the "
        "connection (the setup wizard offers the list)."
    )


# --- Reading DocuSign's answers -------------------------------------------------------

_RATE_LIMIT_CODES = (
    "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
    "BURST_APIINVOCATION_LIMIT_EXCEEDED",
    "HOURLY_ENVELOPE_POLLING_LIMIT_EXCEEDED",
    "BURST_ENVELOPE_POLLING_LIMIT_EXCEEDED",
    "HOURLY_APIINVOCATION_ENVELOPE_LIMIT_EXCEEDED",
    "BURST_APIINVOCATION_ENVELOPE_LIMIT_EXCEEDED",
)

# DocuSign's code (OAuth `error[/error_description]` or eSignature `errorCode`) → type.
_ERRORS: dict[str, type[DocuSignError]] = {
    "consent_required": ConsentRequired,
    "invalid_grant": InvalidGrant,
    "invalid_grant/user_not_found": UserNotFound,
    "invalid_grant/invalid_subject": UserNotFound,
    "invalid_grant/no_valid_keys_or_signatures": NoValidKeysOrSignatures,
    "invalid_grant/issuer_not_found": IssuerNotFound,
    "invalid_grant/expired_grant": ExpiredGrant,
    "USER_AUTHENTICATION_FAILED": AuthenticationFailed,
    "AUTHORIZATION_INVALID_TOKEN": AuthenticationFailed,
    "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT": AccountNotAccessible,
    **dict.fromkeys(_RATE_LIMIT_CODES, RateLimited),
}

# When the code is not in the table, the HTTP status decides (5xx: DocuSignServerError).
_STATUS_ERRORS: dict[int, type[DocuSignError]] = {
    401: AuthenticationFailed,
    429: RateLimited,
}

# OAuth errors whose description is a machine-readable reason, kept in the code.
_REASON_IN_CODE = frozenset({"invalid_grant"})

# Advice for eSignature error codes people meet (D-ERR); others keep their type's advice.
_API_ADVICE: dict[str, str] = {
    "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT": "A recipient's email address is not valid. "
    "Correct it and send again.",
    "ENVELOPE_DOES_NOT_EXIST": "DocuSign has no envelope with that ID in this account.",
    "ENVELOPE_CANNOT_VOID_INVALID_STATE": "Only envelopes that are still in progress can be "
    "voided; completed, declined and draft envelopes cannot.",
    "TEMPLATE_ID_INVALID": "The DocuSign template does not exist in this account or is not "
    "shared with the impersonated user. Refresh the template list.",
    "ACCOUNT_LACKS_PERMISSIONS": "The DocuSign account's plan does not allow this feature.",
    "USER_LACKS_PERMISSIONS": "The impersonated DocuSign user lacks the permission for this "
    "action; give them sending rights (or a DS Admin role) in DocuSign Admin.",
    "PARTNER_AUTHENTICATION_FAILED": IssuerNotFound.advice,
}


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
            if code in _REASON_IN_CODE and description:
                return cls(f"{code}/{description}", description)
            return cls(code, description or code)
        return cls(str(body.get("errorCode") or ""), str(body.get("message") or ""))


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


def error_type(code: str, status: int) -> type[DocuSignError]:
    found = _ERRORS.get(code) or _ERRORS.get(code.upper()) or _STATUS_ERRORS.get(status)
    if found is not None:
        return found
    return DocuSignServerError if status >= 500 else ApiError


def error_from_response(response: requests.Response, *, consent_url: str = "") -> DocuSignError:
    """Turn a non-2xx DocuSign answer (OAuth or eSignature) into its exception type."""
    status = response.status_code
    body = ErrorBody.of(response)
    cls = error_type(body.code, status)
    options: dict[str, Any] = {"status": status, "error_code": body.code}
    if body.code in _API_ADVICE:
        options["advice"] = _API_ADVICE[body.code]
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
