"""Rate limits as DocuSign means them: a burst waits for the 30-second window, an hourly limit
never blocks a thread, the budget is one per account across processes (the Redis cache), and
a person waiting goes before background work."""

import time

import pytest
import responses
from django.test import override_settings

from connections.budget import SharedBudget
from connections.docusign import client as client_module
from connections.docusign import rate_limits
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import RateLimited

ACCOUNT = "a4ec37d6-0000-0000-0000-000000000002"
BASE = f"https://demo.docusign.net/restapi/v2.1/accounts/{ACCOUNT}"


class Tokens:
    def get(self, *, force_refresh=False):
        return "token"


def make_client(budget=None):
    sleeps = []
    client = DocuSignClient(
        base_uri="https://demo.docusign.net",
        account_id=ACCOUNT,
        token_provider=Tokens(),
        allowed_hosts=[".docusign.net"],
        sleep=sleeps.append,
        jitter=lambda: 1.0,
        budget=budget,
    )
    return client, sleeps


def limit_body(code, message="limit"):
    return {"errorCode": code, "message": message}


@responses.activate
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (429, "BURST_APIINVOCATION_LIMIT_EXCEEDED"),
        (400, "Burst_Envelope_Polling_Limit_Exceeded"),  # DocuSign's 400s, mixed case
        (400, "BURST_APIINVOCATION_ENVELOPE_LIMIT_EXCEEDED"),
        (429, ""),  # a bare 429 with hourly budget left is a burst
    ],
)
def test_a_burst_limit_waits_for_the_burst_window_not_the_hour(status, code):
    reset = int(time.time()) + 3000  # the hourly reset is far away
    headers = {"X-RateLimit-Remaining": "2000", "X-RateLimit-Reset": str(reset)}
    responses.get(f"{BASE}/envelopes", json=limit_body(code), status=status, headers=headers)
    responses.get(f"{BASE}/envelopes", json={"ok": "1"})
    client, sleeps = make_client()
    assert client.get_json("/envelopes") == {"ok": "1"}
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= rate_limits.BURST_WINDOW + 0.5


@responses.activate
def test_a_burst_limited_create_is_sent_again_after_the_window_it_did_nothing():
    responses.post(
        f"{BASE}/envelopes", json=limit_body("BURST_APIINVOCATION_LIMIT_EXCEEDED"), status=429
    )
    responses.post(f"{BASE}/envelopes", json={"envelopeId": "e1"}, status=201)
    client, sleeps = make_client()
    assert client.post_json("/envelopes", json={})["envelopeId"] == "e1"
    assert len(sleeps) == 1


@responses.activate
@pytest.mark.parametrize(
    ("status", "code", "headers"),
    [
        (400, "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", {}),  # as seen in production
        (429, "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", {}),
        (429, "", {"X-RateLimit-Remaining": "0"}),
        (400, "hourly_apiinvocation_limit_exceeded", {}),  # codes compared case-insensitively
    ],
)
def test_an_hourly_limit_raises_at_once_with_when_docusign_accepts_calls_again(
    status, code, headers
):
    reset = int(time.time()) + 1234
    headers = {**headers, "X-RateLimit-Reset": str(reset)}
    responses.get(f"{BASE}/envelopes", json=limit_body(code), status=status, headers=headers)
    client, sleeps = make_client()
    with pytest.raises(RateLimited) as caught:
        client.get_json("/envelopes")
    assert sleeps == []  # no thread waits for the hour
    assert caught.value.scope == RateLimited.HOURLY
    assert caught.value.retry_at == reset
    assert "DocuSign accepts calls again at" in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_an_hourly_limit_without_a_reset_header_means_the_top_of_the_hour():
    responses.get(
        f"{BASE}/envelopes", json=limit_body("HOURLY_APIINVOCATION_LIMIT_EXCEEDED"), status=400
    )
    client, _sleeps = make_client()
    with pytest.raises(RateLimited) as caught:
        client.get_json("/envelopes")
    now = time.time()
    assert caught.value.retry_at == now - now % 3600 + 3600


@responses.activate
def test_a_per_envelope_hourly_polling_limit_blocks_that_envelope_not_the_account(
    settings,
):
    responses.get(
        f"{BASE}/envelopes/e1",
        json=limit_body("Hourly_Envelope_Polling_Limit_Exceeded"),
        status=400,
    )
    responses.get(f"{BASE}/envelopes/e2", json={"envelopeId": "e2"})
    client, sleeps = make_client(SharedBudget(ACCOUNT))
    with pytest.raises(RateLimited) as caught:
        client.get_json("/envelopes/e1")
    assert caught.value.scope == RateLimited.ENVELOPE_HOURLY
    assert sleeps == []
    assert client.get_json("/envelopes/e2") == {"envelopeId": "e2"}  # other calls go on


@responses.activate
def test_transient_errors_never_sleep_longer_than_a_burst_window():
    responses.get(f"{BASE}/envelopes", status=503, headers={"Retry-After": "3600"})
    responses.get(f"{BASE}/envelopes", json={})
    client, sleeps = make_client()
    client.get_json("/envelopes")
    assert sleeps == [rate_limits.BURST_WINDOW]


# --- the shared budget (the test settings use the real Redis cache) ---------------------


@pytest.mark.django_db
def test_the_hourly_budget_is_shared_by_every_process_and_spent_budget_raises_before_calling(
    settings,
):
    settings.DOCUSIGN_HOURLY_LIMIT = 10
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.2  # 2 calls kept for a person waiting
    # Two workers: two clients, two budgets, one account.
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/envelopes", json={})
        one, _ = make_client(SharedBudget(ACCOUNT))
        two, _ = make_client(SharedBudget(ACCOUNT))
        for n in range(8):
            (one if n % 2 else two).get_json("/envelopes")
        for client in (one, two):
            with pytest.raises(RateLimited) as caught:
                client.get_json("/envelopes")
            assert caught.value.scope == RateLimited.HOURLY
        assert len(mock.calls) == 8  # refused before reaching DocuSign
        # A person waiting (signing, a download) still gets the reserve.
        person, _ = make_client(SharedBudget(ACCOUNT, interactive=True))
        person.get_json("/envelopes")
        person.get_json("/envelopes")
        with pytest.raises(RateLimited):
            person.get_json("/envelopes")
        assert len(mock.calls) == 10


@pytest.mark.django_db
def test_docusigns_remaining_count_includes_other_apps_and_is_respected(settings):
    settings.DOCUSIGN_HOURLY_LIMIT = 3000
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.0
    reset = int(time.time()) + 600
    with responses.RequestsMock() as mock:
        mock.get(
            f"{BASE}/envelopes",
            json={},
            headers={"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": str(reset)},
        )
        mock.get(f"{BASE}/envelopes", json={})  # later answers carry no budget headers
        client, _ = make_client(SharedBudget(ACCOUNT))
        client.get_json("/envelopes")  # DocuSign: one left (other apps used the rest)
        client.get_json("/envelopes")
        with pytest.raises(RateLimited):
            client.get_json("/envelopes")
        assert len(mock.calls) == 2


@pytest.mark.django_db
def test_docusigns_count_is_forgotten_at_the_reset_it_announced(settings, monkeypatch):
    settings.DOCUSIGN_HOURLY_LIMIT = 3000
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.1
    hour = int(time.time()) // 3600 * 3600
    clock = [hour + 60.0]  # one minute into the hour
    monkeypatch.setattr("connections.budget.time.time", lambda: clock[0])
    with responses.RequestsMock() as mock:
        # DocuSign: 5 left, back in full in 2 minutes (its hour need not be ours).
        mock.get(
            f"{BASE}/envelopes",
            json={},
            headers={"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": str(hour + 180)},
        )
        client, _ = make_client(SharedBudget(ACCOUNT))
        client.get_json("/envelopes")
        with pytest.raises(RateLimited) as caught:  # 5 left is inside the reserve
            client.get_json("/envelopes")
        assert caught.value.retry_at == hour + 180  # DocuSign's reset, not the top of the hour
        clock[0] = hour + 181.0  # same hour by our clock, past DocuSign's reset
        client.get_json("/envelopes")
        assert len(mock.calls) == 2
        state = SharedBudget(ACCOUNT).state(now=clock[0])
        assert state is not None
        assert state.docusign_remaining is None  # its hour is over
        assert state.hourly_remaining == 3000 - 2


@pytest.mark.django_db
def test_an_hourly_429_stops_every_process_until_the_reset(settings):
    reset = int(time.time()) + 900
    with responses.RequestsMock() as mock:
        mock.get(
            f"{BASE}/envelopes",
            json=limit_body("HOURLY_APIINVOCATION_LIMIT_EXCEEDED"),
            status=429,
            headers={"X-RateLimit-Reset": str(reset), "X-RateLimit-Remaining": "0"},
        )
        first, _ = make_client(SharedBudget(ACCOUNT))
        with pytest.raises(RateLimited):
            first.get_json("/envelopes")
        other_worker, sleeps = make_client(SharedBudget(ACCOUNT))
        with pytest.raises(RateLimited) as caught:
            other_worker.get_json("/envelopes")
        assert caught.value.retry_at == reset
        assert sleeps == []
        assert len(mock.calls) == 1


@pytest.mark.django_db
def test_workers_pace_themselves_under_the_burst_limit_instead_of_meeting_429s(settings):
    settings.DOCUSIGN_BURST_LIMIT = 5
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.2  # background gets 4 per window
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/envelopes", json={})
        one, sleeps_one = make_client(SharedBudget(ACCOUNT))
        two, sleeps_two = make_client(SharedBudget(ACCOUNT))
        window = time.time() // rate_limits.BURST_WINDOW
        for n in range(4):
            (one if n % 2 else two).get_json("/envelopes")
        if time.time() // rate_limits.BURST_WINDOW != window:
            pytest.skip("the 30-second window turned during the test")
        assert sleeps_one == sleeps_two == []
        one.get_json("/envelopes")  # the fifth in this window waits for the next one
        assert len(sleeps_one) >= 1
        assert 0 < sleeps_one[0] <= rate_limits.BURST_WINDOW + 0.1


DOWN_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
    }
}


@pytest.mark.django_db
def test_a_down_cache_means_unpaced_calls_not_failures():
    with override_settings(CACHES=DOWN_CACHE), responses.RequestsMock() as mock:
        mock.get(f"{BASE}/envelopes", json={"ok": "1"})
        client, sleeps = make_client(SharedBudget(ACCOUNT))
        assert client.get_json("/envelopes") == {"ok": "1"}
        assert sleeps == []


def test_the_default_sleep_is_patchable(monkeypatch):
    waits = []
    monkeypatch.setattr(client_module, "_sleep", waits.append)
    client = DocuSignClient(
        base_uri="https://demo.docusign.net",
        account_id=ACCOUNT,
        token_provider=Tokens(),
        allowed_hosts=[".docusign.net"],
    )
    client.sleep(1.5)
    assert waits == [1.5]


@pytest.mark.django_db
@pytest.mark.parametrize("processes", [1, 3])
def test_no_sliding_burst_window_ever_holds_more_than_the_limit(settings, monkeypatch, processes):
    """Calls fired just before and just after a fixed :00/:30 boundary: a fixed-window count
    lets twice the limit through within a moment; the sliding log never lets any window of
    that length hold more than the limit. (A 2-second window stands in for DocuSign's 30.)"""
    import threading

    from connections import budget as budget_module

    window = 2.0
    monkeypatch.setattr(budget_module, "BURST_WINDOW", window)
    monkeypatch.setattr(rate_limits, "BURST_WINDOW", window)
    settings.DOCUSIGN_BURST_LIMIT = 4
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.0
    from django.core.cache import cache

    cache.delete_many([f"docusign-budget:{ACCOUNT}:burst-log"])
    calls: list[float] = []
    lock = threading.Lock()

    def call(budget):
        while (wait := budget.acquire()) > 0:
            time.sleep(wait)
        with lock:
            calls.append(time.time())

    # Just before a fixed window ends, fill the limit; then keep calling across the boundary.
    time.sleep((window - time.time() % window) + window - 0.3)

    def worker():
        budget = SharedBudget(ACCOUNT)
        for _ in range(12 // processes):
            call(budget)

    threads = [threading.Thread(target=worker) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    calls.sort()
    assert len(calls) == 12
    # Every sliding window starting at a call holds at most the limit (a small allowance for
    # the clock reads around the Redis call).
    busiest = max(sum(1 for c in calls if start <= c < start + window - 0.05) for start in calls)
    assert busiest <= 4, calls
    state = SharedBudget(ACCOUNT).state()
    assert state is not None
    assert state.burst_remaining <= 4
