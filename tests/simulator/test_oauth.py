"""The simulated account server answers as DocuSign does, failure by failure."""

import time

import pytest

from simulator.models import SimConsent, SimUser
from simulator.oauth.services import JWT_GRANT_TYPE
from tests.simulator.conftest import make_assertion

pytestmark = pytest.mark.django_db


def post_token(client, assertion, grant_type=JWT_GRANT_TYPE):
    return client.post("/simulator/oauth/token", {"grant_type": grant_type, "assertion": assertion})


def test_a_valid_assertion_gets_a_bearer_token_for_an_hour(client, world):
    response = post_token(client, make_assertion(world))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["expires_in"], int)
    assert body["access_token"]


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"iss": "00000000-0000-0000-0000-000000000000"}, "invalid_grant", "issuer_not_found"),
        ({"aud": "https://testserver/simulator"}, "invalid_grant", "no_valid_keys_or_signatures"),
        ({"aud": "testserver/simulator/"}, "invalid_grant", "no_valid_keys_or_signatures"),
        ({"aud": "account-d.docusign.com"}, "invalid_grant", "no_valid_keys_or_signatures"),
        (
            {"exp": int(time.time()) - 600, "iat": int(time.time()) - 4000},
            "invalid_grant",
            "expired_grant",
        ),
        ({"nbf": int(time.time()) + 3600}, "invalid_grant", "no_valid_keys_or_signatures"),
        ({"sub": "11111111-2222-3333-4444-555555555555"}, "invalid_grant", "user_not_found"),
        ({"scope": "signature"}, "consent_required", None),
        ({"scope": "impersonation"}, "invalid_scope", "The scope must include 'signature'."),
    ],
)
def test_each_bad_assertion_gets_docusigns_answer(client, world, change, error, description):
    response = post_token(client, make_assertion(world, **change))
    assert response.status_code == 400
    expected = {"error": error}
    if description:
        expected["error_description"] = description
    assert response.json() == expected


def test_missing_exp_is_no_valid_keys_or_signatures(client, world):
    response = post_token(client, make_assertion(world, drop=("exp",)))
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "no_valid_keys_or_signatures",
    }


def test_a_key_not_registered_on_the_app_is_no_valid_keys_or_signatures(client, world):
    response = post_token(client, make_assertion(world, key_index=1))
    assert response.json()["error_description"] == "no_valid_keys_or_signatures"


def test_no_consent_is_consent_required_without_description(client, world):
    SimConsent.objects.all().delete()
    response = post_token(client, make_assertion(world))
    assert response.status_code == 400
    assert response.json() == {"error": "consent_required"}


def test_consent_for_signature_only_does_not_cover_impersonation(client, world):
    SimConsent.objects.update(scopes="signature")
    assert post_token(client, make_assertion(world)).json() == {"error": "consent_required"}


def test_application_token_has_no_user(client, world):
    response = post_token(client, make_assertion(world, drop=("sub",), scope="signature"))
    assert response.status_code == 200
    userinfo = client.get(
        "/simulator/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}"
    )
    assert userinfo.status_code == 401


def test_wrong_grant_type_and_garbage_assertions(client, world):
    assert post_token(client, "x", grant_type="password").json() == {
        "error": "unsupported_grant_type"
    }
    assert post_token(client, "not-a-jwt").json()["error"] == "invalid_request"
    assert client.post("/simulator/oauth/token", {"grant_type": JWT_GRANT_TYPE}).status_code == 400


def test_userinfo_has_docusigns_shape_and_points_back_at_the_simulator(client, world, token):
    response = client.get("/simulator/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = response.json()
    assert body["sub"] == world.user.user_id
    assert body["email"] == "ada@example.com"
    assert body["accounts"] == [
        {
            "account_id": world.account.account_id,
            "is_default": True,
            "account_name": "Main",
            "base_uri": "http://testserver/simulator",
        }
    ]


def test_userinfo_refuses_a_bad_token_like_docusign(client, world):
    response = client.get("/simulator/oauth/userinfo", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response.json()["error"] == "internal_server_error"


# --- the consent page -------------------------------------------------------------------


def consent_url(world, **overrides):
    params = {
        "response_type": "code",
        "scope": "signature impersonation",
        "client_id": world.app.integration_key,
        "redirect_uri": "https://app.example.com/return/",
        "state": "st4te",
    }
    params.update(overrides)
    from urllib.parse import urlencode

    return "/simulator/oauth/auth?" + urlencode(params)


def log_in(client, url, email="ada@example.com"):
    return client.post(url, {"action": "login", "email": email})


def test_allowing_consent_redirects_with_code_and_state(client, world):
    SimConsent.objects.all().delete()
    url = consent_url(world)
    assert "Log in to DocuSign" in client.get(url).content.decode()
    log_in(client, url)
    page = client.get(url).content.decode()
    assert "Test app is requesting access" in page
    assert "impersonation" in page
    response = client.post(url, {"action": "allow"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://app.example.com/return/?code=")
    assert response["Location"].endswith("&state=st4te")
    assert SimConsent.objects.get().covers({"signature", "impersonation"})


def test_denying_consent_uses_docusigns_error_parameters(client, world):
    SimConsent.objects.all().delete()
    url = consent_url(world)
    log_in(client, url)
    response = client.post(url, {"action": "deny"})
    assert response["Location"] == (
        "https://app.example.com/return/?error=access_denied&error_message=The+user+did+not+"
        "consent+to+connecting+the+application.&state=st4te"
    )
    assert not SimConsent.objects.exists()


def test_an_existing_consent_skips_the_screen(client, world):
    url = consent_url(world)
    log_in(client, url)
    response = client.get(url)
    assert response.status_code == 302
    assert "code=" in response["Location"]


@pytest.mark.parametrize(
    "override",
    [
        {"redirect_uri": "https://evil.example.com/"},
        {"client_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_an_unregistered_redirect_uri_or_unknown_client_is_refused_without_redirect(
    client, world, override
):
    response = client.get(consent_url(world, **override))
    assert response.status_code == 400
    assert "Location" not in response


def test_an_unknown_email_cannot_log_in(client, world):
    response = log_in(client, consent_url(world), email="nobody@example.com")
    assert response.status_code == 400
    assert not SimUser.objects.filter(email="nobody@example.com").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        (
            {"aud": "account-d.docusign.com"},
            {"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"},
        ),
        (
            {"iss": "00000000-0000-0000-0000-000000000000"},
            {"error": "invalid_grant", "error_description": "issuer_not_found"},
        ),
        (
            {"sub": "11111111-2222-3333-4444-555555555555"},
            {"error": "invalid_grant", "error_description": "user_not_found"},
        ),
        ({"scope": "signature"}, {"error": "consent_required"}),
    ],
)
def test_the_same_answers_over_real_http(live_server, world, change, expected):
    import requests

    host = live_server.url.split("://", 1)[1]
    assertion = make_assertion(world, **{"aud": f"{host}/simulator", **change})
    response = requests.post(
        f"{live_server.url}/simulator/oauth/token",
        data={"grant_type": JWT_GRANT_TYPE, "assertion": assertion},
        timeout=10,
    )
    if expected is None:
        assert response.status_code == 200
        token = response.json()["access_token"]
        info = requests.get(
            f"{live_server.url}/simulator/oauth/userinfo",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert info.json()["accounts"][0]["base_uri"] == f"{live_server.url}/simulator"
    else:
        assert (response.status_code, response.json()) == (400, expected)
