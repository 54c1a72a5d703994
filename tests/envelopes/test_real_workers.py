"""Real Celery workers, our own Redis and PostgreSQL: a worker SIGKILLed in the middle of a
create, Redis restarted empty (its queued and unacknowledged tasks gone), and the database
connections of our own test database terminated. One envelope at DocuSign, none stuck."""

import os
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db
from django.utils import timezone

from connections.models import ApiCall
from envelopes import tasks
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope
from simulator import control
from simulator.models import SimEnvelope
from tests.factories import UserFactory
from tests.support.processes import OwnRedis, celery_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="workers in other processes share the test database: needs PostgreSQL "
        "(DATABASE_URL)",
    ),
]

LEASE = 6  # seconds: the claim of a killed worker is taken over after this


def wait_until(condition, timeout=90.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def terminate_our_database_connections():
    """pg_terminate_backend, only ever within this test's own database."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def redis():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_env(simulator_connection, live_server, redis, tmp_path):
    settings_dict = db.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
        f"{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_ENV_FILE": os.devnull,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "SITE_URL": live_server.url,
        "DOCUSIGN_READ_TIMEOUT": "3",
        "DOCUSIGN_SEARCH_LAG_SECONDS": "1",
        "ENVELOPES_SEND_LEASE_SECONDS": str(LEASE),
        "ENVELOPES_QUEUED_GRACE_SECONDS": "2",
        "ENVELOPES_SWEEP_SECONDS": "1",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }


def test_a_killed_worker_an_emptied_redis_and_dropped_connections_lose_and_duplicate_nothing(
    simulator_connection, worker_env, redis, tmp_path, settings, monkeypatch
):
    settings.MEDIA_ROOT = worker_env["MEDIA_ROOT"]  # the workers read the uploads from here
    workers = []
    try:
        first = celery_worker(worker_env, tmp_path / "w1.log", name="w1")
        workers.append(first)
        first.start()
        # DocuSign takes 8 s for this create; the worker is killed in the middle of it.
        slow = control.slow_creates(seconds=8)
        monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)  # the sweep sends
        envelope = prepare.prepare_envelope(
            connection=simulator_connection,
            sender=UserFactory(username="sam"),
            subject="Contract",
            recipients=[RecipientInput("Ann", "ann@example.com")],
            uploads=[SimpleUploadedFile("doc.pdf", b"%PDF-1.4\n/sig1/\n%%EOF")],
        )

        def create_in_flight():
            slow.refresh_from_db()
            return slow.remaining == 0  # DocuSign has the create and is working on it

        wait_until(create_in_flight, what="the worker to send the create")
        first.kill()  # SIGKILL, worker and its beat, mid-create
        redis.kill()  # Redis crashes and comes back empty: every queued task is gone
        redis.start()
        # DocuSign finishes the create the dead worker started.
        wait_until(lambda: SimEnvelope.objects.exists(), what="DocuSign to finish the create")
        envelope.refresh_from_db()
        assert envelope.status == Envelope.Status.SENDING  # the dead worker's claim

        second = celery_worker(worker_env, tmp_path / "w2.log", name="w2")
        workers.append(second)
        second.start()

        def taken_over():
            return envelope.events.filter(kind="claim-expired").exists()

        wait_until(taken_over, what="the sweep to take over the dead claim")
        # Our database drops every other connection (the worker's, the simulator's) now.
        terminate_our_database_connections()

        def settled():
            envelope.refresh_from_db()
            return envelope.status == Envelope.Status.SENT

        wait_until(settled, what=f"the sweep to finish the send (logs in {tmp_path})")
    finally:
        for worker in workers:
            worker.kill()
    assert SimEnvelope.objects.count() == 1
    assert envelope.docusign_envelope_id == SimEnvelope.objects.get().envelope_id
    # The killed worker never saw its create's answer (so never recorded it); the second
    # worker found the envelope instead of creating another.
    assert ApiCall.objects.filter(method="POST", path="/envelopes").count() == 0
    assert ApiCall.objects.filter(method="GET", path="/envelopes").exists()
    kinds = [e.kind for e in envelope.events.all()]
    assert "claim-expired" in kinds
    assert "recovered" in kinds
    assert envelope.claimed_at is None
    assert timezone.now() - envelope.created_at < timedelta(minutes=5)
