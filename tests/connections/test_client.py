"""The eSignature client: base path, string scalars, retries, 401 refresh, allow-list, TLS."""

from typing import Any

import pytest
import requests
import responses

from connections.docusign import errors
from connections.docusign.client import DocuSignClient, to_docusign_json
from connections.docusign.transport import session_for

ACCOUNT = "a4ec37d6-0000-0000-0000-000000000002"
BASE = f"https://demo.docusign.net/restapi/v2.1/accounts/{ACCOUNT}"


class FakeTokens:
    def __init__(self):
        self.calls = []
        self.version = 1

    def get(self, *, force_refresh=False):
        self.calls.append(force_refresh)
        if force_refresh:
            self.version += 1
        return f"token-{self.version}"


def make_client(**kwargs):
    sleeps = []
    tokens = FakeTokens()
    records = []
    defaults: dict[str, Any] = {
        "base_uri": "https://demo.docusign.net",
        "account_id": ACCOUNT,
        "token_provider": tokens,
        "allowed_hosts": [".docusign.net"],
        "on_call": records.append,
        "sleep": sleeps.append,
        "jitter": lambda: 1.0,
    }
    defaults.update(kwargs)
    return DocuSignClient(**defaults), sleeps, tokens, records


def test_scalars_are_sent_as_the_strings_docusign_types_them_as():
    assert to_docusign_json(
        {
            "routingOrder": 2,
            "required": True,
            "locked": False,
            "x": 1.5,
            "skip": None,
            "tabs": [{"pageNumber": 1}],
        }
    ) == {
        "routingOrder": "2",
        "required": "true",
        "locked": "false",
        "x": "1.5",
        "tabs": [{"pageNumber": "1"}],
    }


@responses.activate
def test_paths_are_relative_to_the_account_and_ids_are_quoted():
    responses.get(f"{BASE}/envelopes/abc%2F..%2Fx", json={"envelopeId": "abc"})
    client, *_, records = make_client()
    body = client.get_json("/envelopes/{envelopeId}", path_params={"envelopeId": "abc/../x"})
    assert body == {"envelopeId": "abc"}
    assert responses.calls[0].request.headers["Authorization"] == "Bearer token-1"
    assert records[0].path_template == "/envelopes/{envelopeId}"
    assert "abc" not in records[0].path_template


@responses.activate
def test_post_bodies_are_stringified():
    responses.post(f"{BASE}/envelopes", json={"envelopeId": "e1"}, status=201)
    client, *_ = make_client()
    client.post_json("/envelopes", json={"recipients": {"signers": [{"routingOrder": 1}]}})
    assert (
        responses.calls[0].request.body == b'{"recipients": {"signers": [{"routingOrder": "1"}]}}'
    )


@responses.activate
@pytest.mark.parametrize("status", [502, 503, 504])  # 429s: test_rate_limits.py
def test_get_is_retried_with_backoff_on_transient_statuses(status):
    responses.get(f"{BASE}/envelopes/e1", json={"errorCode": "X", "message": "busy"}, status=status)
    responses.get(f"{BASE}/envelopes/e1", json={"errorCode": "X", "message": "busy"}, status=status)
    responses.get(f"{BASE}/envelopes/e1", json={"envelopeId": "e1"})
    client, sleeps, *_ = make_client()
    assert client.get_json("/envelopes/{id}", path_params={"id": "e1"}) == {"envelopeId": "e1"}
    assert len(responses.calls) == 3
    assert len(sleeps) == 2
    assert sleeps[1] > sleeps[0]  # exponential


@responses.activate
def test_post_is_never_blindly_retried():
    responses.post(f"{BASE}/envelopes", json={"errorCode": "", "message": ""}, status=503)
    client, sleeps, *_ = make_client()
    with pytest.raises(errors.DocuSignServerError):
        client.post_json("/envelopes", json={})
    assert len(responses.calls) == 1
    assert sleeps == []


def test_post_is_not_retried_after_a_timeout_either():
    with responses.RequestsMock() as mock:
        mock.post(f"{BASE}/envelopes", body=requests.ConnectTimeout("slow"))
        client, _sleeps, *_ = make_client()
        with pytest.raises(errors.DocuSignUnreachable):
            client.post_json("/envelopes", json={})
        assert len(mock.calls) == 1


def test_get_is_retried_after_connection_errors_then_gives_up():
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/envelopes", body=requests.ConnectionError("refused"))
        client, sleeps, _, records = make_client(max_retries=2)
        with pytest.raises(errors.DocuSignUnreachable):
            client.get_json("/envelopes")
        assert len(mock.calls) == 3
        assert len(sleeps) == 2
        assert [r.status for r in records] == [None, None, None]


@responses.activate
def test_retry_after_header_is_honoured():
    responses.get(
        f"{BASE}/envelopes",
        json={"errorCode": "X", "message": "API limit"},
        status=429,
        headers={"Retry-After": "12"},
    )
    responses.get(f"{BASE}/envelopes", json={})
    client, sleeps, *_ = make_client()
    client.get_json("/envelopes")
    assert sleeps == [pytest.approx(12.0, abs=0.5)]


@responses.activate
def test_non_retryable_errors_are_raised_at_once():
    responses.get(
        f"{BASE}/envelopes/e1",
        json={"errorCode": "ENVELOPE_DOES_NOT_EXIST", "message": "The envelope does not exist."},
        status=404,
    )
    client, sleeps, *_ = make_client()
    with pytest.raises(errors.ApiError) as info:
        client.get_json("/envelopes/{id}", path_params={"id": "e1"})
    assert info.value.error_code == "ENVELOPE_DOES_NOT_EXIST"
    assert sleeps == []


@responses.activate
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_401_mints_a_fresh_token_and_retries_once(method):
    responses.add(
        method,
        f"{BASE}/envelopes",
        json={"errorCode": "USER_AUTHENTICATION_FAILED", "message": "Invalid access token"},
        status=401,
    )
    responses.add(method, f"{BASE}/envelopes", json={"ok": "yes"})
    client, _, tokens, _ = make_client()
    assert client.request(method, "/envelopes").json() == {"ok": "yes"}
    assert tokens.calls == [False, True]
    assert responses.calls[1].request.headers["Authorization"] == "Bearer token-2"


@responses.activate
def test_a_second_401_is_raised():
    for _ in range(2):
        responses.get(
            f"{BASE}/envelopes",
            json={"errorCode": "USER_AUTHENTICATION_FAILED", "message": "x"},
            status=401,
        )
    client, *_ = make_client()
    with pytest.raises(errors.AuthenticationFailed):
        client.get_json("/envelopes")
    assert len(responses.calls) == 2


@pytest.mark.parametrize(
    "base_uri",
    ["https://evil.example.com", "https://docusign.net.evil.com", "http://demo.docusign.net"],
)
def test_hosts_outside_the_allow_list_never_see_a_token(base_uri):
    with responses.RequestsMock() as mock:
        client, _, tokens, _ = make_client(base_uri=base_uri)
        with pytest.raises(errors.HostNotAllowed):
            client.get_json("")
        assert len(mock.calls) == 0
    assert tokens.calls == []


def test_http_loopback_is_allowed_only_when_enabled():
    with responses.RequestsMock() as mock:
        mock.get(f"http://127.0.0.1:8000/simulator/restapi/v2.1/accounts/{ACCOUNT}", json={})
        client, *_ = make_client(
            base_uri="http://127.0.0.1:8000/simulator",
            allowed_hosts=["127.0.0.1"],
            allow_http_loopback=True,
        )
        assert client.get_json("") == {}
    client, *_ = make_client(
        base_uri="http://127.0.0.1:8000/simulator", allowed_hosts=["127.0.0.1"]
    )
    with pytest.raises(errors.HostNotAllowed):
        client.get_json("")


def test_the_ca_bundle_setting_beats_requests_ca_bundle(monkeypatch, tmp_path):
    ours = tmp_path / "ours.pem"
    ours.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/somewhere/else.pem")
    client, *_ = make_client(ca_bundle=str(ours))
    session = session_for(client.base_url)
    merged = session.merge_environment_settings(
        client.base_url, {}, False, client.transport.verify, None
    )
    assert merged["verify"] == str(ours)
    default_client, *_ = make_client()
    merged = session.merge_environment_settings(
        client.base_url, {}, False, default_client.transport.verify, None
    )
    assert merged["verify"] != "/somewhere/else.pem"
    assert merged["verify"].endswith(".pem")


@responses.activate
def test_redirects_are_not_followed_so_a_token_cannot_leak():
    responses.get(
        f"{BASE}/envelopes", status=302, headers={"Location": "https://evil.example.com/"}
    )
    client, *_ = make_client()
    with pytest.raises(errors.ApiError):
        client.get_json("/envelopes")
    assert len(responses.calls) == 1
