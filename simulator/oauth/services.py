"""The simulated account server's rules: JWT assertion checks, tokens, consent, keys.

It answers as DocuSign does (../shared/docusign/FACTS.md sections 1 to 3): the same error codes in
the same places, e.g. a wrong `aud` is `no_valid_keys_or_signatures`, not a clearer error.
"""

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction

from simulator.models import (
    SimAccessToken,
    SimAccount,
    SimApp,
    SimConsent,
    SimMembership,
    SimPublicKey,
    SimUser,
)

JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3600
CLOCK_LEEWAY = 60  # seconds; DocuSign's tolerance is unpublished
# DocuSign's samples ask for 1 hour; its Python example 4000 s. Longer than this is refused.
MAX_ASSERTION_LIFETIME = 2 * 3600
MAX_KEYPAIRS = 5
# The simulator stands in for the demo environment: an assertion for production's account
# server names an integration key this environment does not know (FACTS §1.4).
OTHER_ENVIRONMENT_AUDIENCES = frozenset({"account.docusign.com"})


class OAuthError(Exception):
    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        self.error, self.description, self.status = error, description, status
        super().__init__(f"{error}: {description}")

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


@dataclass(frozen=True)
class Grant:
    app: SimApp
    user: SimUser | None
    scopes: str


def verify_assertion(assertion: str, *, audience: str, now: float | None = None) -> Grant:
    """Check a JWT Grant assertion as DocuSign does; raise OAuthError with its answer."""
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(assertion)
        claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_request", "The assertion is not a JWT.") from None
    if header.get("alg") != "RS256":
        raise _invalid_grant("no_valid_keys_or_signatures")
    if claims.get("aud") in OTHER_ENVIRONMENT_AUDIENCES and claims.get("aud") != audience:
        raise _invalid_grant("issuer_not_found")
    app = SimApp.objects.filter(integration_key=str(claims.get("iss", "")).lower()).first()
    if app is None:
        raise _invalid_grant("issuer_not_found")
    if claims.get("aud") != audience or "exp" not in claims:
        raise _invalid_grant("no_valid_keys_or_signatures")
    if not _signed_by_app(assertion, app):
        raise _invalid_grant("no_valid_keys_or_signatures")
    exp, iat = _number(claims.get("exp")), _number(claims.get("iat", now))
    if exp is None or iat is None:
        raise _invalid_grant("no_valid_keys_or_signatures")
    if exp < now - CLOCK_LEEWAY:
        raise _invalid_grant("expired_grant")
    nbf = _number(claims.get("nbf"))
    if (nbf is not None and nbf > now + CLOCK_LEEWAY) or iat > now + CLOCK_LEEWAY:
        raise _invalid_grant("no_valid_keys_or_signatures")
    if exp - iat > MAX_ASSERTION_LIFETIME:
        raise _invalid_grant("no_valid_keys_or_signatures")
    scopes = set(str(claims.get("scope", "")).split())
    if "signature" not in scopes:
        raise OAuthError("invalid_scope", "The scope must include 'signature'.")
    subject = claims.get("sub")
    if subject is None:  # an application token
        return Grant(app=app, user=None, scopes=" ".join(sorted(scopes)))
    user = SimUser.objects.filter(user_id=str(subject).lower()).first()
    if user is None:
        raise _invalid_grant("user_not_found")
    consent = SimConsent.objects.filter(user=user, app=app).first()
    if "impersonation" not in scopes or consent is None or not consent.covers(scopes):
        raise OAuthError("consent_required")
    return Grant(app=app, user=user, scopes=" ".join(sorted(scopes)))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _signed_by_app(assertion: str, app: SimApp) -> bool:
    for key in app.public_keys.all():
        try:
            public = serialization.load_pem_public_key(key.public_pem.encode())
            jwt.decode(
                assertion,
                public,  # type: ignore[arg-type]
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_aud": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except (jwt.PyJWTError, ValueError):
            continue
        return True
    return False


def issue_token(grant: Grant, *, lifetime: int | None = None) -> dict[str, Any]:
    """A token that says it lives TOKEN_LIFETIME; `lifetime` may make it die sooner."""
    token, _ = SimAccessToken.issue(
        app=grant.app, user=grant.user, scopes=grant.scopes, lifetime=lifetime or TOKEN_LIFETIME
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}


def user_for_token(token: str) -> tuple[SimAccessToken | None, str]:
    """The token row for a bearer token, or None and why not."""
    row = (
        SimAccessToken.objects.select_related("user", "app")
        .filter(token_hash=SimAccessToken.hash(token))
        .first()
    )
    if row is None:
        return None, "unknown token"
    if row.is_expired:
        return None, "expired token"
    return row, ""


def userinfo(user: SimUser, *, base_uri: str) -> dict[str, Any]:
    memberships = SimMembership.objects.filter(user=user).select_related("account")
    return {
        "sub": user.user_id,
        "name": user.name,
        "given_name": user.name.split(" ")[0],
        "family_name": " ".join(user.name.split(" ")[1:]),
        "created": user.created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4],
        "email": user.email,
        "accounts": [
            {
                "account_id": m.account.account_id,
                "is_default": m.is_default,
                "account_name": m.account.name,
                "base_uri": base_uri,
            }
            for m in memberships.order_by("-is_default", "account__name")
        ],
    }


# --- Consent ----------------------------------------------------------------------------


def consent_redirect_error(app: SimApp | None, redirect_uri: str) -> str:
    """Why /oauth/auth must not redirect (DocuSign shows an error page instead), or ''."""
    if app is None:
        return "The client ID is not a known integration key."
    if redirect_uri not in app.redirect_uris:
        return "The redirect URI is not registered for this integration key."
    return ""


def grant_consent(*, user: SimUser, app: SimApp, scopes: str) -> SimConsent:
    consent, _ = SimConsent.objects.get_or_create(user=user, app=app)
    consent.scopes = " ".join(sorted(set(consent.scopes.split()) | set(scopes.split())))
    consent.save()
    return consent


def revoke_consent(*, user: SimUser, app: SimApp) -> None:
    SimConsent.objects.filter(user=user, app=app).delete()
    # Live tokens keep working until they expire, as at DocuSign (FACTS §3.2).


def new_authorization_code() -> str:
    return secrets.token_urlsafe(24)


# --- Apps and Keys ----------------------------------------------------------------------


class KeyProblem(ValueError):
    """A key operation that cannot be done; the message says why."""


def add_generated_keypair(app: SimApp) -> tuple[SimPublicKey, str]:
    """Generate a keypair, keep only the public half; the private PEM is returned once."""
    _check_key_room(app)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # DocuSign shows PKCS#1
        serialization.NoEncryption(),
    ).decode()
    return SimPublicKey.objects.create(app=app, public_pem=public_pem), private_pem


def add_public_key(app: SimApp, pem: str) -> SimPublicKey:
    _check_key_room(app)
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except ValueError:
        raise KeyProblem(
            "That is not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)."
        ) from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise KeyProblem("The public key must be an RSA key of at least 2048 bits.")
    normalized = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return SimPublicKey.objects.create(app=app, public_pem=normalized)


def _check_key_room(app: SimApp) -> None:
    if app.public_keys.count() >= MAX_KEYPAIRS:
        raise KeyProblem(f"An integration key can have at most {MAX_KEYPAIRS} RSA keypairs.")


@transaction.atomic
def create_user(*, name: str, email: str, account_name: str = "") -> SimUser:
    user = SimUser.objects.create(name=name, email=email.lower())
    account = SimAccount.objects.create(name=account_name or f"{name}'s account")
    SimMembership.objects.create(user=user, account=account, is_default=True)
    return user
