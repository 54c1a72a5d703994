"""/healthz and /readyz: one entry per check, 503 when not ready, nothing secret."""

import json
import time

import pytest
import redis

from ops import health, heartbeat
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(
    not __import__("os").environ.get("REDIS_URL"), reason="needs REDIS_URL"
)


@pytest.fixture
def beats(settings):
    """Fresh heartbeats from a worker and beat (as their own timers write them)."""
    heartbeat.client().delete(heartbeat.WORKER_KEY, heartbeat.BEAT_KEY)
    yield
    heartbeat.client().delete(heartbeat.WORKER_KEY, heartbeat.BEAT_KEY)


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_probes_answer_any_host_over_plain_http(client, settings):
    """A load balancer probes by IP over http: no DisallowedHost, no HTTPS redirect."""
    settings.ALLOWED_HOSTS = ["countersign.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7").status_code in (200, 503)
    # Everything else still gets Django's checks.
    assert client.get("/envelopes/", HTTP_HOST="10.0.0.7").status_code == 400


@needs_redis
def test_readyz_is_green_with_fresh_heartbeats(client, beats):
    heartbeat.worker_alive("celery@test")
    heartbeat.beat_alive()
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "broker", "worker"}
    assert all(c["ok"] for c in body["checks"].values())
    assert body["reported"]["beat"]["ok"]
    assert "migrated" in body["checks"]["database"]["detail"]


@needs_redis
def test_readyz_is_503_without_a_worker_or_beat(client, beats):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"]
    assert checks["redis"]["ok"]
    assert checks["broker"]["ok"]
    assert not checks["worker"]["ok"]
    assert "no worker heartbeat" in checks["worker"]["detail"]
    assert not response.json()["reported"]["beat"]["ok"]


@needs_redis
def test_a_stale_heartbeat_fails_readiness(client, beats, settings):
    settings.OPS_HEARTBEAT_STALE_SECONDS = 30
    old = {"at": time.time() - 31, "host": "h", "pid": 1}
    heartbeat.client().set(heartbeat.WORKER_KEY, json.dumps(old))
    heartbeat.beat_alive()
    response = client.get("/readyz")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert not worker["ok"]
    assert "31 s ago" in worker["detail"]


def test_unreachable_redis_is_503_fast_and_shows_no_url(client, settings):
    port = free_port()  # nothing listens there
    settings.REDIS_URL = f"redis://:hunter2-redis-password@127.0.0.1:{port}/3"
    settings.CELERY_BROKER_URL = f"redis://:hunter2-redis-password@127.0.0.1:{port}/4"
    started = time.monotonic()
    response = client.get("/readyz")
    took = time.monotonic() - started
    assert response.status_code == 503
    body = response.content.decode()
    checks = response.json()["checks"]
    assert checks["database"]["ok"]
    for name in ("redis", "broker", "worker"):
        assert not checks[name]["ok"], name
    assert not response.json()["reported"]["beat"]["ok"]
    assert "ConnectionError" in checks["redis"]["detail"]
    assert "hunter2" not in body
    assert str(port) not in body
    assert took < 5  # each check has a short timeout (not a benchmark: a hang would be 20 s+)


def test_pending_migrations_fail_readiness(client, monkeypatch):
    class Executor:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": list})()})()

        def migration_plan(self, targets):
            return [("connections.0099_future", False)]

    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health, "MigrationExecutor", Executor)
    response = client.get("/readyz")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database == {**database, "ok": False}
    assert "1 migration(s) not applied: run migrate" in database["detail"]


def test_real_migration_state_is_read(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    assert health.check_database() == (True, "reachable and migrated")


def test_without_redis_the_redis_checks_say_so(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    for name in ("redis", "broker", "worker"):
        assert "REDIS_URL is not set" in body["checks"][name]["detail"]
    assert "REDIS_URL is not set" in body["reported"]["beat"]["detail"]


@needs_redis
def test_the_broker_check_reads_the_brokers_database_not_the_caches(settings):
    """The broker has its own Redis database: a dead broker fails readiness even when the
    cache's Redis answers."""
    assert settings.CELERY_BROKER_URL != settings.REDIS_URL
    assert health.check_broker()[0]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/1"
    ok, detail = health.check_broker()
    assert not ok
    assert "unreachable" in detail
    assert health.check_redis()[0]


def test_redis_errors_are_caught_not_raised(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    ok, detail = health.check_worker()
    assert not ok
    assert "unreadable" in detail
    with pytest.raises(redis.ConnectionError):
        heartbeat.client().ping()


def test_an_unreachable_database_is_503_with_the_error_class_only(client, monkeypatch):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "10.1.1.1", port 5432 failed: password')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["detail"] == "unreachable (OperationalError)"
    assert "10.1.1.1" not in response.content.decode()


@needs_redis
def test_a_beat_outage_leaves_readyz_green_and_is_reported(client, beats, settings):
    """Beat only schedules sweeps: with it down a web node still serves."""
    heartbeat.worker_alive("celery@test")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    beat = response.json()["reported"]["beat"]
    assert not beat["ok"]
    assert "no beat heartbeat" in beat["detail"]


@needs_redis
def test_a_real_worker_without_beat_keeps_readyz_green(client, settings, tmp_path):
    """A real Celery worker (no beat anywhere) writes its own heartbeat: /readyz is 200 and the
    status page shows beat as down. Killing the worker makes its heartbeat go stale."""
    import os

    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory
    from tests.support.processes import VENV_BIN, Process, redis_server, wait_for

    with redis_server() as server:
        settings.REDIS_URL = server.url
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{server.port}/1"
        settings.OPS_HEARTBEAT_SECONDS = 0.5
        settings.OPS_HEARTBEAT_STALE_SECONDS = 3
        env = {
            **os.environ,
            "DJANGO_ENV_FILE": os.devnull,
            "REDIS_URL": server.url,
            "OPS_HEARTBEAT_SECONDS": "0.5",
        }
        args = [str(VENV_BIN / "celery"), "-A", "config", "worker", "--concurrency=1"]
        args += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "-nhb@%h"]
        worker = Process(args, env, tmp_path / "worker.log")
        worker.start()
        try:
            wait_for(
                lambda: client.get("/readyz").status_code == 200,
                timeout=60,
                what="a worker heartbeat without beat",
            )
            body = client.get("/readyz").json()
            assert body["checks"]["worker"]["ok"]
            assert not body["reported"]["beat"]["ok"]
            admin = UserFactory(username="ops")
            admin.user_permissions.add(Permission.objects.get(codename="view_system_status"))
            client.force_login(admin)
            page = client.get("/ops/status/").content.decode()
            assert "Ready" in page
            assert "Not ready" not in page
            assert '<td data-label="State">down</td>' in page
            assert "no beat heartbeat" in page
        finally:
            worker.kill()
        wait_for(
            lambda: client.get("/readyz").status_code == 503,
            timeout=10,
            what="the killed worker's heartbeat to go stale",
        )
