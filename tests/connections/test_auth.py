"""JWT Grant: the assertion DocuSign expects, the token exchange and userinfo."""

import logging
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses

from connections.docusign import auth, errors
from connections.docusign.transport import Transport
from tests.keys import private_pem, rsa_key

AUTH = "https://account-d.docusign.com"
IK = "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
USER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def _claims(token: str, audience: str = "account-d.docusign.com") -> dict:
    return jwt.decode(token, rsa_key(0).public_key(), algorithms=["RS256"], audience=audience)


@pytest.mark.parametrize(
    ("server", "aud"),
    [
        ("https://account-d.docusign.com", "account-d.docusign.com"),
        ("https://account.docusign.com/", "account.docusign.com"),
        ("http://127.0.0.1:8000/simulator", "127.0.0.1:8000/simulator"),
        ("http://localhost:51234/simulator/", "localhost:51234/simulator"),
    ],
)
def test_audience_is_the_auth_server_without_scheme_or_trailing_slash(server, aud):
    assert auth.audience(server) == aud


def test_assertion_carries_docusigns_claims():
    token = auth.build_assertion(
        private_key_pem=private_pem(),
        integration_key=IK,
        user_id=USER,
        auth_server=AUTH,
        scopes=auth.scope_string(["extended"]),
        now=1_700_000_000,
    )
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    claims = jwt.decode(
        token,
        rsa_key(0).public_key(),
        algorithms=["RS256"],
        audience="account-d.docusign.com",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "iss": IK,
        "sub": USER,
        "aud": "account-d.docusign.com",
        "iat": 1_700_000_000,
        "exp": 1_700_003_600,
        "scope": "signature impersonation extended",
    }


def test_assertion_lifetime_is_capped_at_one_hour():
    token = auth.build_assertion(
        private_key_pem=private_pem(),
        integration_key=IK,
        user_id=USER,
        auth_server=AUTH,
        scopes="signature impersonation",
        lifetime=10_000,
    )
    claims = _claims(token)
    assert claims["exp"] - claims["iat"] == 3600


def test_application_token_assertion_has_no_sub():
    token = auth.build_assertion(
        private_key_pem=private_pem(),
        integration_key=IK,
        user_id=None,
        auth_server=AUTH,
        scopes="signature",
    )
    assert "sub" not in _claims(token)


def test_a_key_that_will_not_load_raises_key_not_loadable_without_quoting_it():
    broken = private_pem()[:200]
    with pytest.raises(errors.KeyNotLoadable) as info:
        auth.build_assertion(
            private_key_pem=broken,
            integration_key=IK,
            user_id=USER,
            auth_server=AUTH,
            scopes="signature",
        )
    assert broken.splitlines()[1][:20] not in str(info.value)


def test_scope_string_always_starts_with_signature_impersonation_once():
    assert auth.scope_string(["impersonation", "extended"]) == "signature impersonation extended"


def test_consent_url_has_every_parameter_docusign_needs():
    url = auth.consent_url(
        AUTH,
        IK,
        "https://app.example.com/connections/consent/return/",
        "signature impersonation",
        "s1",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{AUTH}/oauth/auth"
    assert "scope=signature%20impersonation" in parts.query
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "scope": ["signature impersonation"],
        "client_id": [IK],
        "redirect_uri": ["https://app.example.com/connections/consent/return/"],
        "state": ["s1"],
    }


@responses.activate
def test_token_exchange_posts_the_jwt_bearer_grant(caplog):
    caplog.set_level(logging.DEBUG)
    responses.post(
        f"{AUTH}/oauth/token",
        json={"access_token": "eyJ0eXAi.secret-token", "token_type": "Bearer", "expires_in": 3600},
    )
    records = []
    server = auth.AuthServer(url=AUTH, transport=Transport(on_call=records.append))
    token = server.request_token("the.assertion.jwt")
    assert token.access_token == "eyJ0eXAi.secret-token"
    assert token.expires_in == 3600
    sent = parse_qs(responses.calls[0].request.body)
    assert sent == {
        "grant_type": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "assertion": ["the.assertion.jwt"],
    }
    assert records[0].path_template == "/oauth/token"
    assert records[0].status == 200
    assert "secret-token" not in repr(token)
    assert "secret-token" not in caplog.text
    assert "the.assertion.jwt" not in caplog.text


@responses.activate
def test_token_errors_are_typed_and_carry_the_consent_link():
    responses.post(f"{AUTH}/oauth/token", json={"error": "consent_required"}, status=400)
    server = auth.AuthServer(url=AUTH, transport=Transport())
    with pytest.raises(errors.ConsentRequired) as info:
        server.request_token("the.assertion.jwt", consent_link="https://consent.example/link")
    assert "https://consent.example/link" in info.value.advice
    assert "the.assertion.jwt" not in str(info.value)


@responses.activate
def test_userinfo_is_parsed_into_accounts():
    responses.get(
        f"{AUTH}/oauth/userinfo",
        json={
            "sub": USER,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "accounts": [
                {
                    "account_id": "A4EC37D6-0000-0000-0000-000000000001",
                    "is_default": False,
                    "account_name": "Side",
                    "base_uri": "https://na3.docusign.net",
                },
                {
                    "account_id": "a4ec37d6-0000-0000-0000-000000000002",
                    "is_default": True,
                    "account_name": "Main",
                    "base_uri": "https://demo.docusign.net/",
                },
            ],
        },
    )
    info = auth.AuthServer(url=AUTH, transport=Transport()).get_userinfo("tok")
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok"
    default = next(a for a in info.accounts if a.is_default)
    assert default.account_name == "Main"
    assert default.base_uri == "https://demo.docusign.net"
    assert info.account("a4ec37d6-0000-0000-0000-000000000001").account_name == "Side"


@responses.activate
def test_userinfo_with_an_expired_token_is_authentication_failed():
    responses.get(
        f"{AUTH}/oauth/userinfo",
        json={"error": "internal_server_error", "reference_id": "abc"},
        status=401,
    )
    with pytest.raises(errors.AuthenticationFailed):
        auth.AuthServer(url=AUTH, transport=Transport()).get_userinfo("tok")


def test_an_unreachable_auth_server_is_reported_without_the_assertion():
    server = auth.AuthServer(url="https://127.0.0.1:9", transport=Transport(connect_timeout=0.5))
    with pytest.raises(errors.DocuSignUnreachable) as info:
        server.request_token("the.assertion.jwt")
    assert "127.0.0.1:9" in str(info.value)
    assert "assertion" not in str(info.value)
