"""Prometheus metrics: off by default, bearer-protected, values computed from rows and Redis."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from connections.models import ApiCall
from envelopes.models import ConnectEvent, Envelope
from ops import heartbeat, metrics
from tests.factories import ConnectionFactory, EnvelopeFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def scrape(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_need_the_bearer_token(client, metrics_on, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert TOKEN not in response.content.decode()


def test_calls_budget_mints_and_latency_come_from_api_call_rows(client, metrics_on, settings):
    settings.DOCUSIGN_HOURLY_LIMIT = 1000
    acme = ConnectionFactory(name="Acme")
    old = timezone.now() - timedelta(hours=2)

    def call(status, ms, path="/envelopes", method="POST"):
        return ApiCall.objects.create(
            connection=acme,
            account_id=acme.account_id,
            method=method,
            path=path,
            status_code=status,
            duration_ms=ms,
        )

    call(201, 40)
    call(201, 300)
    call(429, 10)
    call(None, 5000)
    call(200, 120, path="/oauth/token")
    call(400, 80, path="/oauth/token")
    ApiCall.objects.filter(pk=call(201, 20).pk).update(created_at=old)  # outside the hour

    s = scrape(client)
    op = "POST /envelopes"
    calls = "countersign_docusign_calls_total"
    assert value(s, calls, connection="Acme", operation=op, outcome="success") == 3
    assert value(s, calls, connection="Acme", operation=op, outcome="rate_limited") == 1
    assert value(s, calls, connection="Acme", operation=op, outcome="unreachable") == 1
    mints = "countersign_docusign_token_mints_total"
    assert value(s, mints, connection="Acme", outcome="success") == 1
    assert value(s, mints, connection="Acme", outcome="client_error") == 1
    hist = "countersign_docusign_call_duration_seconds"
    ok = {"connection": "Acme", "operation": op, "outcome": "success"}
    assert value(s, f"{hist}_bucket", **ok, le="0.05") == 2  # 40 ms and 20 ms
    assert value(s, f"{hist}_bucket", **ok, le="0.5") == 3
    assert value(s, f"{hist}_count", **ok) == 3
    assert value(s, f"{hist}_sum", **ok) == pytest.approx(0.36)
    # ApiCall rows are history: the budget is what the shared budget says (nothing spent).
    assert value(s, "countersign_docusign_budget_remaining", account=acme.account_id) == 1000


def test_the_budget_metrics_come_from_the_shared_budget(client, metrics_on, settings):
    from connections.budget import SharedBudget

    settings.DOCUSIGN_HOURLY_LIMIT = 1000
    settings.DOCUSIGN_BURST_LIMIT = 50
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.0
    acme = ConnectionFactory(name="Acme")
    for _ in range(4):
        SharedBudget(acme.account_id).acquire()
    s = scrape(client)
    assert value(s, "countersign_docusign_budget_remaining", account=acme.account_id) == 996
    assert value(s, "countersign_docusign_burst_remaining", account=acme.account_id) == 46


def test_envelopes_stuck_rows_and_connect_traffic(client, metrics_on):
    acme = ConnectionFactory(name="Acme")
    sender = UserFactory()
    now = timezone.now()
    for status in ("sent", "sent", "completed", "queued"):
        EnvelopeFactory(connection=acme, sender=sender, subject="s", status=status)
    stuck = EnvelopeFactory(
        connection=acme, sender=sender, subject="s", status="sending", claimed_at=now
    )
    Envelope.objects.filter(pk=stuck.pk).update(claimed_at=now - timedelta(minutes=6))

    def event(n, processed, deliveries=1, age=timedelta(0)):
        e = ConnectEvent.objects.create(
            connection=acme,
            identity=f"id{n}",
            event="envelope-sent",
            docusign_envelope_id=f"env{n}",
            verified=True,
            body={},
            deliveries=deliveries,
            processed_at=now if processed else None,
        )
        ConnectEvent.objects.filter(pk=e.pk).update(received_at=now - age)

    event(1, processed=True, deliveries=3)
    event(2, processed=False, age=timedelta(minutes=10))
    event(3, processed=False, age=timedelta(seconds=5))  # a drain may be on it still

    s = scrape(client)
    assert value(s, "countersign_envelopes", connection="Acme", status="sent") == 2
    assert value(s, "countersign_envelopes", connection="Acme", status="sending") == 1
    assert value(s, "countersign_stuck", kind="envelope") == 1
    assert value(s, "countersign_stuck", kind="connect_event") == 1
    assert value(s, "countersign_connect_messages_received_total", connection="Acme") == 3
    assert value(s, "countersign_connect_messages_redelivered_total", connection="Acme") == 2
    lag = value(s, "countersign_connect_drain_lag_seconds", connection="Acme")
    assert 600 <= lag < 660
    assert value(s, "countersign_metrics_source_up", source="database") == 1


needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@needs_redis
def test_rejected_connect_messages_and_queue_depth_come_from_redis(client, metrics_on):
    from config.celery_app import app
    from envelopes.tasks import refresh_envelope

    r, broker = heartbeat.client(), heartbeat.broker_client()
    queue = app.conf.task_default_queue
    r.delete(metrics.REJECTED_KEY)
    broker.delete(queue)
    acme = ConnectionFactory(name="Acme")
    acme.connect_hmac_secrets = "k" * 32
    acme.save()
    url = f"/envelopes/connect/{acme.connect_token}/"
    for _ in range(2):  # unsigned, while keys are set: 401
        assert client.post(url, b"{}", content_type="application/json").status_code == 401
    assert (
        client.post(
            "/envelopes/connect/not-a-token/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )  # not counted

    app.conf.task_always_eager = False  # publish for real; no worker takes them
    try:
        for _ in range(3):
            refresh_envelope.delay("00000000-0000-0000-0000-000000000000")
    finally:
        app.conf.task_always_eager = True
    try:
        s = scrape(client)
    finally:
        r.delete(metrics.REJECTED_KEY)
        broker.delete(queue)
    assert value(s, "countersign_connect_messages_rejected_total", status="401") == 2
    assert value(s, "countersign_queue_depth", queue=queue) == 3
    assert value(s, "countersign_metrics_source_up", source="redis") == 1


def test_an_unreadable_redis_is_reported_not_raised(client, metrics_on, settings):
    from tests.support.processes import free_port

    settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    s = scrape(client)
    assert value(s, "countersign_metrics_source_up", source="redis") == 0
    assert value(s, "countersign_metrics_source_up", source="database") == 1
