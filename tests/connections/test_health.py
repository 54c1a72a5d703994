"""The connection check: each step, each specific failure, and what it records."""

import pytest
import responses

from connections.models import ApiCall, Connection
from connections.services import check_connection
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

ACCOUNT = "a4ec37d6-0000-0000-0000-000000000002"
OTHER = "a4ec37d6-0000-0000-0000-000000000009"


def stub_auth(accounts=None, token_status=200, token_body=None):
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json=token_body
        or {"access_token": "secret-tok", "token_type": "Bearer", "expires_in": 3600},
        status=token_status,
    )
    responses.get(
        f"{DEMO_AUTH}/oauth/userinfo",
        json={
            "sub": "u",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "accounts": accounts
            if accounts is not None
            else [
                {
                    "account_id": ACCOUNT,
                    "is_default": True,
                    "account_name": "Main",
                    "base_uri": "https://demo.docusign.net",
                }
            ],
        },
    )


def stub_account_call(status=200):
    responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{ACCOUNT}",
        json={"accountName": "Main", "accountIdGuid": ACCOUNT}
        if status == 200
        else {"errorCode": "USER_LACKS_PERMISSIONS", "message": "no"},
        status=status,
    )


def names_and_results(result):
    return [(s.name, s.ok) for s in result.steps]


@responses.activate
def test_a_healthy_connection_passes_every_step_and_is_marked_connected(docusign_hosts):
    conn = ConnectionFactory(
        account_id=ACCOUNT, status=Connection.Status.FAILING, last_error_code="x"
    )
    stub_auth()
    stub_account_call()
    result = check_connection(connection=conn)
    assert result.ok
    assert names_and_results(result) == [
        ("Private key loads", True),
        ("Assertion signed", True),
        ("Access token obtained", True),
        ("User info read", True),
        ("Account available", True),
        ("Base URI matches the account", True),
        ("eSignature API answers", True),
    ]
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED
    assert conn.last_error_code == ""
    assert conn.last_checked_at is not None


@responses.activate
def test_blank_account_and_base_uri_are_discovered_from_the_only_account(docusign_hosts):
    conn = ConnectionFactory(account_id="", base_uri="")
    stub_auth()
    stub_account_call()
    assert check_connection(connection=conn).ok
    conn.refresh_from_db()
    assert (conn.account_id, conn.base_uri) == (ACCOUNT, "https://demo.docusign.net")


@responses.activate
def test_several_accounts_ask_for_a_choice(docusign_hosts):
    conn = ConnectionFactory(account_id="", base_uri="")
    stub_auth(
        accounts=[
            {
                "account_id": ACCOUNT,
                "is_default": True,
                "account_name": "Main",
                "base_uri": "https://demo.docusign.net",
            },
            {
                "account_id": OTHER,
                "is_default": False,
                "account_name": "Side",
                "base_uri": "https://demo.docusign.net",
            },
        ]
    )
    result = check_connection(connection=conn)
    assert not result.ok
    assert result.error.error_code == "account_choice_needed"
    assert [a.account_name for a in result.accounts] == ["Main", "Side"]
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    assert conn.account_id == ""


@responses.activate
def test_an_account_the_user_cannot_reach_is_named(docusign_hosts):
    conn = ConnectionFactory(account_id=OTHER)
    stub_auth()
    result = check_connection(connection=conn)
    assert result.error.error_code == "account_not_accessible"
    assert OTHER in str(result.error)
    assert "API Account ID" in result.error.advice


@responses.activate
def test_a_base_uri_that_does_not_match_the_account_is_reported(docusign_hosts):
    conn = ConnectionFactory(account_id=ACCOUNT, base_uri="https://na3.docusign.net")
    stub_auth()
    result = check_connection(connection=conn)
    assert result.error.error_code == "base_uri_mismatch"
    assert "https://demo.docusign.net" in str(result.error)


@responses.activate
def test_consent_required_puts_the_connection_in_awaiting_consent(docusign_hosts):
    conn = ConnectionFactory(account_id=ACCOUNT)
    stub_auth(token_status=400, token_body={"error": "consent_required"})
    result = check_connection(connection=conn)
    assert names_and_results(result)[-1] == ("Access token obtained", False)
    conn.refresh_from_db()
    assert conn.status == Connection.Status.AWAITING_CONSENT
    assert conn.last_error_code == "consent_required"
    assert "/oauth/auth?response_type=code" in conn.last_error_detail  # the link to send


@responses.activate
@pytest.mark.parametrize(
    "token_body",
    [
        {"error": "consent_required", "error_description": "the user must consent"},
        {"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"},
    ],
)
def test_the_api_call_row_and_the_connection_record_the_same_code(docusign_hosts, token_body):
    conn = ConnectionFactory(account_id=ACCOUNT)
    stub_auth(token_status=400, token_body=token_body)
    check_connection(connection=conn)
    conn.refresh_from_db()
    row = ApiCall.objects.get(path="/oauth/token")
    assert conn.last_error_code
    assert row.error_code == conn.last_error_code


@responses.activate
def test_a_wrong_key_is_failing_with_the_keypair_advice(docusign_hosts):
    conn = ConnectionFactory(account_id=ACCOUNT)
    stub_auth(
        token_status=400,
        token_body={"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"},
    )
    result = check_connection(connection=conn)
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    assert conn.last_error_code == "invalid_grant/no_valid_keys_or_signatures"
    assert "RSA keypair" in result.error.advice


@responses.activate
def test_a_broken_stored_key_fails_the_first_step(docusign_hosts):
    conn = ConnectionFactory(account_id=ACCOUNT, private_key="not a key")
    result = check_connection(connection=conn)
    assert names_and_results(result) == [("Private key loads", False)]
    assert result.error.error_code == "key_not_loadable"
    assert len(responses.calls) == 0


@responses.activate
def test_the_esignature_call_failing_is_the_last_step(docusign_hosts):
    conn = ConnectionFactory(account_id=ACCOUNT)
    stub_auth()
    stub_account_call(status=403)
    result = check_connection(connection=conn)
    assert names_and_results(result)[-1] == ("eSignature API answers", False)
    assert result.error.error_code == "USER_LACKS_PERMISSIONS"


@responses.activate
def test_the_check_leaves_no_token_in_api_calls_or_logs(docusign_hosts, caplog):
    conn = ConnectionFactory(account_id=ACCOUNT)
    stub_auth()
    stub_account_call()
    check_connection(connection=conn)
    rows = list(ApiCall.objects.values())
    assert sorted(r["path"] for r in rows) == ["/", "/oauth/token", "/oauth/userinfo"]
    assert "secret-tok" not in str(rows)
    assert "secret-tok" not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
