"""OAuth JWT Grant against DocuSign's account server: assertion, token, userinfo, consent URL.

Reference: https://developers.docusign.com/platform/auth/jwt/jwt-get-token/
"""

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connections.docusign.error_bodies import error_from_response, read_json
from connections.docusign.errors import DocuSignError, KeyNotLoadable
from connections.docusign.transport import Transport

BASE_SCOPES = ("signature", "impersonation")
JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 3600  # DocuSign's samples use one hour; never ask for more


def audience(auth_server: str) -> str:
    """The `aud` claim: the auth server without scheme or trailing slash."""
    parts = urlsplit(auth_server)
    return f"{parts.netloc}{parts.path}".rstrip("/")


def scope_string(extra: tuple[str, ...] | list[str] = ()) -> str:
    return " ".join(dict.fromkeys([*BASE_SCOPES, *extra]))


@lru_cache(maxsize=32)
def load_signing_key(private_key_pem: str) -> rsa.RSAPrivateKey:
    # Cached: loading validates the RSA key, which costs ~30 ms, 20x the signing itself.
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise KeyNotLoadable("the stored key is not a readable PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyNotLoadable("the stored key is not an RSA key")
    return key


def build_assertion(
    *,
    private_key_pem: str,
    integration_key: str,
    user_id: str | None,
    auth_server: str,
    scopes: str,
    lifetime: int = MAX_ASSERTION_LIFETIME,
    now: float | None = None,
) -> str:
    """The RS256-signed JWT DocuSign exchanges for a token; `user_id=None` for an app token."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": integration_key,
        "aud": audience(auth_server),
        "iat": issued,
        "exp": issued + min(lifetime, MAX_ASSERTION_LIFETIME),
        "scope": scopes,
    }
    if user_id:
        claims["sub"] = user_id
    key = load_signing_key(private_key_pem)
    return jwt.encode(claims, key, algorithm="RS256", headers={"typ": "JWT"})


@dataclass(frozen=True)
class Credentials:
    """What a JWT Grant needs, built once per connection (the key is never in its repr)."""

    integration_key: str
    user_id: str
    auth_server: str
    scopes: str
    private_key_pem: str = field(repr=False)

    def assertion(self, *, now: float | None = None) -> str:
        return build_assertion(
            private_key_pem=self.private_key_pem,
            integration_key=self.integration_key,
            user_id=self.user_id,
            auth_server=self.auth_server,
            scopes=self.scopes,
            now=now,
        )

    def consent_url(self, redirect_uri: str, state: str = "") -> str:
        return consent_url(self.auth_server, self.integration_key, redirect_uri, self.scopes, state)


@dataclass(frozen=True)
class TokenResponse:
    access_token: str = field(repr=False)
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)
    scope: str = ""


@dataclass(frozen=True)
class UserAccount:
    account_id: str
    account_name: str
    is_default: bool
    base_uri: str


@dataclass(frozen=True)
class UserInfo:
    sub: str
    name: str
    email: str
    accounts: list[UserAccount]

    def account(self, account_id: str) -> UserAccount | None:
        return next((a for a in self.accounts if a.account_id == account_id.lower()), None)


def consent_url(
    auth_server: str, integration_key: str, redirect_uri: str, scopes: str, state: str = ""
) -> str:
    """Individual consent: the impersonated user opens this and clicks Accept.

    Reference: https://developers.docusign.com/platform/auth/consent/obtaining-individual-consent/
    """
    query = {
        "response_type": "code",
        "scope": scopes,
        "client_id": integration_key,
        "redirect_uri": redirect_uri,
    }
    if state:
        query["state"] = state
    # DocuSign's examples encode spaces in scope as %20, so quote_via=quote rather than "+".
    return f"{auth_server.rstrip('/')}/oauth/auth?{urlencode(query, quote_via=quote)}"


class AuthServer:
    """DocuSign's account server for one environment."""

    def __init__(self, *, url: str, transport: Transport) -> None:
        self.url = url.rstrip("/")
        self.transport = transport

    def mint_token(self, credentials: Credentials, *, consent_link: str = "") -> TokenResponse:
        """The one JWT Grant exchange: sign an assertion, trade it for an access token.

        KeyNotLoadable means the assertion could not be signed; any other DocuSignError
        comes from the exchange.
        """
        return self.request_token(credentials.assertion(), consent_link=consent_link)

    def request_token(self, assertion: str, *, consent_link: str = "") -> TokenResponse:
        # Reference: https://developers.docusign.com/platform/auth/reference/obtain-access-token/
        response = self.transport.send(
            "POST",
            f"{self.url}/oauth/token",
            path_template="/oauth/token",
            data={"grant_type": JWT_GRANT_TYPE, "assertion": assertion},
        )
        if not 200 <= response.status_code < 300:
            raise error_from_response(response, consent_url=consent_link)
        body = _json_object(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise DocuSignError("the token response had no access_token", status=200)
        return TokenResponse(
            access_token=token,
            expires_in=int(body.get("expires_in") or 3600),
            token_type=str(body.get("token_type") or "Bearer"),
            scope=str(body.get("scope") or ""),
        )

    def get_userinfo(self, access_token: str) -> UserInfo:
        # Reference: https://developers.docusign.com/platform/auth/reference/user-info/
        response = self.transport.send(
            "GET",
            f"{self.url}/oauth/userinfo",
            path_template="/oauth/userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if not 200 <= response.status_code < 300:
            raise error_from_response(response)
        body = _json_object(response)
        accounts = [
            UserAccount(
                account_id=str(a.get("account_id", "")).lower(),
                account_name=str(a.get("account_name", "")),
                is_default=a.get("is_default") in (True, "true", "True"),
                base_uri=str(a.get("base_uri", "")).rstrip("/"),
            )
            for a in body.get("accounts") or []
            if isinstance(a, dict)
        ]
        return UserInfo(
            sub=str(body.get("sub", "")),
            name=str(body.get("name", "")),
            email=str(body.get("email", "")),
            accounts=accounts,
        )


def _json_object(response: Any) -> dict[str, Any]:
    body = read_json(response)
    if not isinstance(body, dict):
        raise DocuSignError("DocuSign's answer was not a JSON object", status=response.status_code)
    return body
