"""`make run` without Redis: a thread in runserver starts due polls, as beat would."""

import time

import pytest
import responses

from envelopes import dev_poller
from envelopes.models import SyncCursor
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory, EnvelopeFactory


@pytest.mark.parametrize(
    ("seconds", "redis", "run_main", "wanted"),
    [
        (60, "", "true", True),  # make run without Redis, runserver's serving process
        (60, "redis://127.0.0.1:6379/0", "true", False),  # a real beat runs instead
        (60, "", None, False),  # the autoreloader's watcher process, or another command
        (0, "", "true", False),  # not asked for
    ],
)
def test_it_runs_only_in_runserver_without_a_broker(
    settings, monkeypatch, seconds, redis, run_main, wanted
):
    settings.DEV_POLLER_SECONDS, settings.REDIS_URL, settings.DEBUG = seconds, redis, True
    if run_main is None:
        monkeypatch.delenv("RUN_MAIN", raising=False)
    else:
        monkeypatch.setenv("RUN_MAIN", run_main)
    assert dev_poller.wanted() is wanted


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_the_thread_polls_a_due_connection_by_itself(docusign_hosts):
    connection = ConnectionFactory()
    envelope = EnvelopeFactory(
        connection=connection,
        subject="s",
        status="sent",
        docusign_envelope_id="00000001-0000-0000-0000-000000000000",
    )
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}/envelopes",
        json={
            "envelopes": [{"envelopeId": envelope.docusign_envelope_id, "status": "completed"}],
            "totalSetSize": "1",
        },
    )
    # A completed envelope's signed documents are fetched once and kept.
    responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}/envelopes/"
        f"{envelope.docusign_envelope_id}/documents/combined",
        body=b"%PDF-1.4 signed",
        content_type="application/pdf",
    )
    stop = dev_poller.start(every=0.05)
    try:
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and not SyncCursor.objects.filter(last_polled_at__isnull=False).exists()
        ):
            time.sleep(0.05)
    finally:
        stop.set()
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    assert SyncCursor.objects.get(connection=connection).last_polled_at is not None
