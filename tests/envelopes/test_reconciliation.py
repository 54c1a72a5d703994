"""Reconciliation rules, fast (`responses`): only a proven duplicate of a row of ours is
voided; one listing per account and user serves every connection on it."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.utils import timezone

from connections.installation import installation_id
from connections.services import get_client
from envelopes import tasks
from envelopes.bulk.batches import BATCH_FIELD
from envelopes.models import BulkBatch, Envelope, SyncCursor
from envelopes.sending.definitions import CUSTOM_FIELD, INSTALLATION_FIELD
from envelopes.tracking.polling import OVERLAP, poll_connection
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory, EnvelopeFactory

pytestmark = pytest.mark.django_db


def base(connection):
    return f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}/envelopes"


def stub(connection, summaries):
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.get(
        base(connection), json={"envelopes": summaries, "totalSetSize": str(len(summaries))}
    )


def summary(envelope_id, owner, *, installation="", batch="", status="sent", age_hours=1):
    fields = [{"name": CUSTOM_FIELD, "value": owner}]
    if installation:
        fields.append({"name": INSTALLATION_FIELD, "value": installation})
    if batch:
        fields.append({"name": BATCH_FIELD, "value": batch})
    created = timezone.now() - timedelta(hours=age_hours)
    return {
        "envelopeId": envelope_id,
        "status": status,
        "createdDateTime": created.isoformat(),
        "customFields": {"textCustomFields": fields},
    }


def row(connection, **kwargs):
    return EnvelopeFactory(connection=connection, **{"subject": "s", "status": "sent", **kwargs})


def ids(n):
    return f"{n:08d}-0000-0000-0000-000000000000"


def sibling(connection, **kwargs):
    """Another connection on the same account and user."""
    return ConnectionFactory(account_id=connection.account_id, user_id=connection.user_id, **kwargs)


@responses.activate
def test_only_a_proven_duplicate_is_voided(docusign_hosts):
    connection = ConnectionFactory()
    ours = installation_id()
    mine = row(connection, docusign_envelope_id=ids(1))
    batch = BulkBatch.objects.create(
        connection=connection,
        sender=mine.sender,
        name="b.csv",
        subject="s",
        source="generated",
        size=1,
    )
    bulk_row = row(connection, docusign_envelope_id=ids(9), bulk_batch=batch, bulk_row=1)
    stub(
        connection,
        [
            summary(ids(1), str(mine.pk), installation=ours),  # the row's own
            summary(ids(2), str(mine.pk), installation=ours),  # a duplicate: voided
            summary(ids(3), str(mine.pk), installation=uuid.uuid4().hex),  # theirs
            summary(ids(4), str(mine.pk)),  # older code's
            summary(ids(5), str(uuid.uuid4()), installation=ours),  # ours, no such row
            summary(ids(6), str(bulk_row.pk), installation=ours, batch=str(uuid.uuid4())),
            summary(ids(7), str(mine.pk), installation=ours, age_hours=0),  # too young
        ],
    )
    responses.put(f"{base(connection)}/{ids(2)}", json={})

    result = poll_connection(connection, get_client(connection))

    voids = [c for c in responses.calls if c.request.method == "PUT"]
    assert [c.request.url for c in voids] == [f"{base(connection)}/{ids(2)}"]
    assert result.reconciled.actions == [
        f"Voided duplicate DocuSign envelope {ids(2)} of row {mine.pk}."
    ]
    assert (result.reconciled.not_ours, result.reconciled.no_row) == (2, 2)
    assert SyncCursor.objects.get(connection=connection).left_no_row == 2


@responses.activate
def test_a_row_of_another_connection_on_the_account_is_ours_too(docusign_hosts):
    lister = ConnectionFactory()
    other = sibling(lister)
    theirs = row(other, docusign_envelope_id=ids(1))
    stub(lister, [summary(ids(1), str(theirs.pk), installation=installation_id())])
    result = poll_connection(lister, get_client(lister))
    assert result.reconciled.actions == []
    assert (result.reconciled.not_ours, result.reconciled.no_row) == (0, 0)
    assert not [c for c in responses.calls if c.request.method == "PUT"]


@responses.activate
def test_one_listing_serves_every_connection_on_the_account(docusign_hosts, monkeypatch):
    first = ConnectionFactory()
    second = sibling(first)
    elsewhere = ConnectionFactory()  # another account: its own listing
    a = row(first, docusign_envelope_id=ids(1))
    b = row(second, docusign_envelope_id=ids(2))
    row(elsewhere, docusign_envelope_id=ids(3))
    started = []
    monkeypatch.setattr(tasks.poll_connection, "delay", started.append)
    assert sorted(tasks.poll_due_connections()) == sorted([first.pk, elsewhere.pk])

    stub(first, [{"envelopeId": ids(n), "status": "completed"} for n in (1, 2)])
    result = poll_connection(first, get_client(first))
    assert result.calls == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("completed", "completed")
    # Both connections' cursors moved: neither is due again before the interval.
    started.clear()
    assert tasks.poll_due_connections() == [elsewhere.pk]


@responses.activate
def test_a_possible_duplicate_makes_the_listing_reach_back_to_its_row(docusign_hosts, settings):
    settings.ENVELOPES_RECONCILE_LOOKBACK_HOURS = 2
    connection = ConnectionFactory(connect_hmac_secrets="k" * 20)
    row(connection, docusign_envelope_id=ids(1))
    now = timezone.now()
    SyncCursor.objects.create(
        connection=connection, synced_until=now - timedelta(minutes=30), last_polled_at=now
    )
    suspect = row(connection, status="sent", docusign_envelope_id=ids(2), send_attempts=2)
    Envelope.objects.filter(pk=suspect.pk).update(created_at=now - timedelta(hours=1))
    from envelopes.tracking.polling import is_due

    # With Connect a poll waits 6 hours; a possible duplicate is looked for at 20 minutes.
    assert not is_due(connection, now + timedelta(minutes=19))
    assert is_due(connection, now + timedelta(minutes=20))
    stub(connection, [])
    poll_connection(connection, get_client(connection), now=now + timedelta(minutes=20))
    listing = next(c for c in responses.calls if "/envelopes" in c.request.url)
    from_date = parse_qs(urlsplit(listing.request.url).query)["from_date"][0]
    assert from_date == (now - timedelta(hours=1) - OVERLAP).isoformat()
