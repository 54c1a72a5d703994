"""The table from DocuSign's error codes (and bare HTTP statuses) to our exception types,
and the advice for the eSignature codes people meet."""

from connections.docusign.errors import (
    AccountNotAccessible,
    ApiError,
    AuthenticationFailed,
    ConsentRequired,
    DocuSignError,
    DocuSignServerError,
    ExpiredGrant,
    InvalidGrant,
    IssuerNotFound,
    NoValidKeysOrSignatures,
    RateLimited,
    UserNotFound,
)

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
REASON_IN_CODE = frozenset({"invalid_grant"})

# Advice for eSignature error codes people meet (D-ERR); others keep their type's advice.
API_ADVICE: dict[str, str] = {
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


def error_type(code: str, status: int) -> type[DocuSignError]:
    found = _ERRORS.get(code) or _ERRORS.get(code.upper()) or _STATUS_ERRORS.get(status)
    if found is not None:
        return found
    return DocuSignServerError if status >= 500 else ApiError
