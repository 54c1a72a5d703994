"""The shared token cache: refresh margin, key rotation, 401 refresh, single-flight."""

import multiprocessing
import threading
import time

import pytest
import responses
from django.core.cache import cache
from django.db import connections as db_connections

from connections import tokens
from connections.models import ApiCall
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory
from tests.keys import private_pem
from tests.support.token_server import TokenServer
from tests.support.token_worker import ask_for_tokens

pytestmark = pytest.mark.django_db


def stub_token(token: str = "tok-1", expires_in: int = 3600) -> None:
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": token, "token_type": "Bearer", "expires_in": expires_in},
    )


@responses.activate
def test_a_cached_token_is_reused_without_calling_docusign(docusign_hosts):
    conn = ConnectionFactory()
    stub_token()
    assert tokens.get_access_token(conn) == "tok-1"
    assert tokens.get_access_token(conn) == "tok-1"
    assert len(responses.calls) == 1


@responses.activate
def test_a_token_inside_the_refresh_margin_is_replaced(docusign_hosts, settings):
    settings.DOCUSIGN_TOKEN_REFRESH_MARGIN = 600
    conn = ConnectionFactory()
    stub_token("short-lived", expires_in=599)
    assert tokens.get_access_token(conn) == "short-lived"
    stub_token("next")
    assert tokens.get_access_token(conn) == "next"
    assert len(responses.calls) == 2


@responses.activate
def test_a_token_just_outside_the_margin_is_kept(docusign_hosts, settings):
    settings.DOCUSIGN_TOKEN_REFRESH_MARGIN = 600
    conn = ConnectionFactory()
    stub_token("fine", expires_in=700)
    tokens.get_access_token(conn)
    assert tokens.get_access_token(conn) == "fine"
    assert len(responses.calls) == 1


@responses.activate
def test_rotating_the_keypair_drops_the_old_token(docusign_hosts):
    conn = ConnectionFactory()
    stub_token("old-key-token")
    tokens.get_access_token(conn)
    conn.set_private_key(private_pem(1))
    conn.save()
    stub_token("new-key-token")
    assert tokens.get_access_token(conn) == "new-key-token"


@responses.activate
def test_force_refresh_replaces_only_the_stale_token(docusign_hosts):
    conn = ConnectionFactory()
    stub_token("first")
    first = tokens.get_access_token(conn)
    stub_token("second")
    assert tokens.get_access_token(conn, force_refresh=True, stale_token=first) == "second"
    # A worker that saw the same 401 a moment later gets the new token, no extra mint.
    assert tokens.get_access_token(conn, force_refresh=True, stale_token=first) == "second"
    assert len(responses.calls) == 2


@responses.activate
def test_tokens_are_encrypted_in_the_cache_and_never_logged(docusign_hosts, caplog):
    conn = ConnectionFactory()
    stub_token("very-secret-access-token")
    tokens.get_access_token(conn)
    raw = cache.get(tokens.cache_key(conn))
    assert "very-secret-access-token" not in str(raw)
    assert "very-secret-access-token" not in caplog.text
    for row in ApiCall.objects.values():
        assert "very-secret-access-token" not in str(row)


@responses.activate
def test_minting_is_audited_as_an_api_call(docusign_hosts):
    conn = ConnectionFactory()
    stub_token()
    tokens.get_access_token(conn)
    call = ApiCall.objects.get()
    assert (call.connection, call.method, call.path, call.status_code) == (
        conn,
        "POST",
        "/oauth/token",
        200,
    )
    assert call.integration_key == conn.integration_key


@pytest.mark.django_db(transaction=True)  # the threads' own DB connections see the row
def test_threads_in_one_process_share_one_mint(docusign_hosts, settings):
    conn = ConnectionFactory()
    with TokenServer() as server:
        settings.DOCUSIGN_DEMO_AUTH_SERVER = server.url
        results = []

        def ask() -> None:
            try:
                results.append(tokens.get_access_token(conn))
            finally:
                db_connections.close_all()  # this thread's own connection

        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.mints == 1
    assert set(results) == {"token-1"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_single_flight_across_processes_mints_once_per_expiry(docusign_hosts, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the cross-process lock lives in Redis")
    conn = ConnectionFactory()
    ctx = multiprocessing.get_context("spawn")
    db_name = db_connections["default"].settings_dict["NAME"]
    with TokenServer() as server:
        settings.DOCUSIGN_DEMO_AUTH_SERVER = server.url
        for expiry in range(3):  # the first token, then two forced expiries
            if expiry:
                tokens.drop_cached_token(conn)
            out = ctx.Queue()
            args = {
                "db_name": db_name,
                "connection_pk": conn.pk,
                "auth_url": server.url,
                "threads": 2,
                "asks": 20,
                "out": out,
            }
            procs = [ctx.Process(target=ask_for_tokens, kwargs=args) for _ in range(4)]
            for p in procs:
                p.start()
            seen = [out.get(timeout=60) for _ in procs]
            for p in procs:
                p.join(timeout=60)
                assert p.exitcode == 0
            assert seen == [[f"token-{expiry + 1}"]] * 4
    assert server.mints == 3


def test_a_dead_minter_does_not_block_others_forever(docusign_hosts, settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    conn = ConnectionFactory()
    key = tokens.cache_key(conn)
    # A minter that died holding the lock: the lock expires after LOCK_TIMEOUT.
    monkeypatch.setattr(tokens, "LOCK_TIMEOUT", 1)
    tokens._redis().set(f"countersign:{key}:lock", "dead-worker", px=1000)
    with TokenServer() as server:
        settings.DOCUSIGN_DEMO_AUTH_SERVER = server.url
        started = time.monotonic()
        assert tokens.get_access_token(conn) == "token-1"
        assert time.monotonic() - started < tokens.LOCK_WAIT


@responses.activate
def test_a_failing_audit_write_never_breaks_the_docusign_call(docusign_hosts, monkeypatch, caplog):
    from django.db import DatabaseError

    from connections import credentials

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(credentials, "_create_api_call", broken)
    conn = ConnectionFactory()
    stub_token("still-works")
    assert tokens.get_access_token(conn) == "still-works"
    assert "Could not record DocuSign call POST /oauth/token" in caplog.text
