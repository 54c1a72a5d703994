"""DocuSign failures as exception types, each with the fix a staff member can apply.

The admin, the wizard, `docusign_check`, tasks and logs all read the same `advice`; the
table in `error_codes` says which type a DocuSign code becomes, `error_bodies` reads the
answer. Messages never carry a token, an assertion or a key: only DocuSign's own error text,
which holds none of those.
"""

from datetime import UTC, datetime
from typing import Any, ClassVar


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
