"""A simulated DocuSign world: an app with a registered key, a consenting user, an account."""

import time
from types import SimpleNamespace

import jwt
import pytest

from simulator.models import SimApp, SimConsent, SimPublicKey
from simulator.oauth.services import JWT_GRANT_TYPE, create_user
from simulator.seed import seed_templates
from tests.keys import public_pem, rsa_key

AUD = "testserver/simulator"  # the Django test client's host + the simulator's mount


def make_assertion(world, *, key_index=0, drop=(), **claims):
    now = int(time.time())
    body = {
        "iss": world.app.integration_key,
        "sub": world.user.user_id,
        "aud": AUD,
        "iat": now,
        "exp": now + 3600,
        "scope": "signature impersonation",
    }
    body.update(claims)
    for name in drop:
        body.pop(name, None)
    return jwt.encode(body, rsa_key(key_index), algorithm="RS256", headers={"typ": "JWT"})


@pytest.fixture
def world(db):
    app = SimApp.objects.create(name="Test app", redirect_uris=["https://app.example.com/return/"])
    SimPublicKey.objects.create(app=app, public_pem=public_pem(0))
    user = create_user(name="Ada Lovelace", email="ada@example.com", account_name="Main")
    SimConsent.objects.create(user=user, app=app, scopes="impersonation signature")
    account = user.accounts.get()
    return SimpleNamespace(app=app, user=user, account=account, templates=seed_templates(account))


@pytest.fixture
def token(client, world):
    response = client.post(
        "/simulator/oauth/token",
        {"grant_type": JWT_GRANT_TYPE, "assertion": make_assertion(world)},
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def api(client, world, token):
    """Call the simulated REST API for the world's account, like DocuSign's clients do."""
    base = f"/simulator/restapi/v2.1/accounts/{world.account.account_id}"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def call(method, path, body=None, **query):
        url = base + path
        if method == "GET":
            return client.get(url, query, **auth)
        return client.generic(
            method,
            url,
            data=__import__("json").dumps(body or {}),
            content_type="application/json",
            **auth,
        )

    return call


@pytest.fixture
def http_api(live_server, world):
    """The world's REST API over real HTTP (live_server): `call(method, path, **requests_kw)`."""
    import requests

    host = live_server.url.split("://", 1)[1]
    response = requests.post(
        f"{live_server.url}/simulator/oauth/token",
        data={
            "grant_type": JWT_GRANT_TYPE,
            "assertion": make_assertion(world, aud=f"{host}/simulator"),
        },
        timeout=10,
    )
    assert response.status_code == 200, response.content
    base = f"{live_server.url}/simulator/restapi/v2.1/accounts/{world.account.account_id}"
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def call(method, path, **kwargs):
        timeout = kwargs.pop("timeout", 10)
        return requests.request(method, base + path, headers=headers, timeout=timeout, **kwargs)

    return call
