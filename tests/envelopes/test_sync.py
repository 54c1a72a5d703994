"""Polling: one listStatusChanges call per page, with overlap; nothing to poll, no call."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.utils import timezone

from connections.services import get_client
from envelopes.models import Envelope, SyncCursor
from envelopes.tracking.polling import OVERLAP, poll_connection, poll_interval
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory, EnvelopeFactory, UserFactory

pytestmark = pytest.mark.django_db


def stub(connection, pages):
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    url = f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}/envelopes"
    for page in pages:
        responses.get(url, json=page)


@responses.activate
def test_pages_are_fetched_one_call_each_and_applied(docusign_hosts, settings):
    settings.ENVELOPES_POLL_PAGE_SIZE = 2
    connection = ConnectionFactory()
    sender = UserFactory()
    envelopes = [
        EnvelopeFactory(
            connection=connection,
            sender=sender,
            subject=str(i),
            status="sent",
            docusign_envelope_id=f"0000000{i}-0000-0000-0000-000000000000",
        )
        for i in range(3)
    ]
    summaries = [{"envelopeId": e.docusign_envelope_id, "status": "completed"} for e in envelopes]
    stub(
        connection,
        [
            {
                "envelopes": summaries[:2],
                "resultSetSize": "2",
                "totalSetSize": "3",
                "startPosition": "0",
            },
            {
                "envelopes": summaries[2:],
                "resultSetSize": "1",
                "totalSetSize": "3",
                "startPosition": "2",
            },
        ],
    )
    result = poll_connection(connection, get_client(connection))
    assert (result.calls, result.applied) == (2, 3)
    assert set(Envelope.objects.values_list("status", flat=True)) == {"completed"}
    listing = [c for c in responses.calls if "/envelopes" in c.request.url]
    starts = [parse_qs(urlsplit(c.request.url).query)["start_position"] for c in listing]
    assert starts == [["0"], ["2"]]


@responses.activate
def test_the_next_poll_overlaps_the_previous_one(docusign_hosts):
    connection = ConnectionFactory()
    EnvelopeFactory(
        connection=connection,
        subject="s",
        status="sent",
        docusign_envelope_id="00000009-0000-0000-0000-000000000000",
    )
    stub(connection, [{"envelopes": [], "resultSetSize": "0", "totalSetSize": "0"}] * 2)
    first = timezone.now()
    poll_connection(connection, get_client(connection), now=first)
    poll_connection(connection, get_client(connection), now=first + timedelta(minutes=15))
    last = [c for c in responses.calls if "/envelopes" in c.request.url][-1]
    from_date = parse_qs(urlsplit(last.request.url).query)["from_date"][0]
    assert from_date == (first - OVERLAP).isoformat()
    assert SyncCursor.objects.get().synced_until == first + timedelta(minutes=15)


@responses.activate
def test_no_envelopes_in_flight_means_no_call(docusign_hosts):
    connection = ConnectionFactory()
    EnvelopeFactory(connection=connection, subject="s", status="completed")
    assert poll_connection(connection, get_client(connection)).calls == 0
    assert len(responses.calls) == 0


def test_polling_is_never_more_often_than_docusign_allows(settings):
    settings.ENVELOPES_POLL_INTERVAL_MINUTES = 15
    assert poll_interval(ConnectionFactory.build()) == timedelta(minutes=15)
    assert poll_interval(ConnectionFactory.build(connect_hmac_secrets="k")) == timedelta(hours=6)


def test_the_simulator_poll_setting_is_ignored_against_docusign(settings):
    """ENVELOPES_SIMULATOR_POLL_SECONDS shortens the interval for benchmarks against the
    simulator; against DocuSign (no DOCUSIGN_SIMULATOR) the 15-minute floor still binds."""
    settings.ENVELOPES_POLL_INTERVAL_MINUTES = 20
    settings.ENVELOPES_SIMULATOR_POLL_SECONDS = 30
    settings.DOCUSIGN_SIMULATOR = False
    assert poll_interval(ConnectionFactory.build()) == timedelta(minutes=20)
    settings.ENVELOPES_POLL_INTERVAL_MINUTES = 1  # even a too-short one set by hand
    assert poll_interval(ConnectionFactory.build()) == timedelta(minutes=15)
    settings.DOCUSIGN_SIMULATOR = True
    assert poll_interval(ConnectionFactory.build()) == timedelta(seconds=30)
    # Connect's rare sweep is not shortened: only the polling (and duplicate) interval.
    assert poll_interval(ConnectionFactory.build(connect_hmac_secrets="k")) == timedelta(hours=6)


def test_the_minute_tick_polls_exactly_the_connections_that_are_due(settings, monkeypatch):
    """poll_due_connections asks is_due: never polled → due; polled just now → not due;
    polled longer ago than the interval → due again."""
    from envelopes import tasks

    settings.ENVELOPES_POLL_INTERVAL_MINUTES = 15
    now = timezone.now()
    sender = UserFactory()
    never, recent, stale = (ConnectionFactory() for _ in range(3))
    for connection in (never, recent, stale):
        EnvelopeFactory(connection=connection, sender=sender, subject="s", status="sent")
    for connection, ago in ((recent, timedelta(minutes=1)), (stale, timedelta(minutes=16))):
        SyncCursor.objects.create(
            connection=connection, synced_until=now - ago, last_polled_at=now - ago
        )
    started = []
    monkeypatch.setattr(tasks.poll_connection, "delay", started.append)
    due = tasks.poll_due_connections()
    assert sorted(due) == sorted([never.pk, stale.pk])
    assert sorted(started) == sorted([never.pk, stale.pk])
