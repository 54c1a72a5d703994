"""The Connect receiver against bad and hostile input: field validation (400, never 500),
duplicates per connection, the token at rest, unsigned hints rationed, drain throttling."""

import hashlib
import json
import re
import threading
import time

import pytest
import responses
from django.db import connection as db
from django.test import Client

from envelopes.models import ConnectEvent
from envelopes.tracking import drain as tracking
from envelopes.tracking import hints as unsigned
from envelopes.tracking.drain import DrainThrottle, drain_connect_events
from tests.conftest import DEMO_AUTH
from tests.envelopes.test_webhooks import message, post
from tests.factories import ConnectionFactory, EnvelopeFactory, RecipientFactory

pytestmark = pytest.mark.django_db

KEY = "webhook-key-0001"


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def setup(docusign_hosts):
    connection = ConnectionFactory(connect_hmac_secrets=KEY)
    envelope = EnvelopeFactory(
        connection=connection,
        subject="S",
        status="sent",
        docusign_envelope_id="e1e1e1e1-0000-0000-0000-000000000001",
    )
    RecipientFactory(
        envelope=envelope, name="A", email="a@example.com", recipient_id="1", status="sent"
    )
    return connection, envelope


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda m: m["data"].update(envelopeId="e" * 37), "data.envelopeId"),
        (lambda m: m["data"].update(envelopeId="not-a-guid"), "data.envelopeId"),
        (lambda m: m["data"].update(envelopeId=12345), "data.envelopeId"),
        (lambda m: m["data"].pop("envelopeId"), "data.envelopeId"),
        (lambda m: m.update(event="envelope-" + "x" * 60), "'event'"),
        (lambda m: m.update(event="Envelope Completed; DROP"), "'event'"),
        (lambda m: m.update(event=None), "'event'"),
        (lambda m: m.update(generatedDateTime="2" * 41), "generatedDateTime"),
        (lambda m: m["data"]["envelopeSummary"].update(emailSubject="a\x00b"), "NUL"),
        (lambda m: m["data"].update(userId="\x00"), "NUL"),
        (lambda m: m.pop("data"), "'data'"),
    ],
)
def test_bad_fields_get_400_with_a_message_and_nothing_is_stored(
    csrf_client, setup, change, complaint
):
    connection, envelope = setup
    bad = message(envelope)
    change(bad)
    response = post(csrf_client, connection, json.dumps(bad).encode(), KEY)
    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert not ConnectEvent.objects.exists()


def test_a_list_or_a_bare_value_is_not_a_message(csrf_client, setup):
    connection, _ = setup
    for body in (b"[]", b"42", b'"x"', b"{}", b"\xff\xfe"):
        response = post(csrf_client, connection, body, KEY)
        assert response.status_code == 400, body
        assert response.json()["error"]


def test_a_missing_content_length_is_refused_clearly(setup):
    connection, envelope = setup
    from django.test import RequestFactory

    from envelopes.tracking.webhooks import ConnectWebhookView

    request = RequestFactory().post(
        "/", data=json.dumps(message(envelope)), content_type="application/json"
    )
    del request.META["CONTENT_LENGTH"]
    response = ConnectWebhookView.as_view()(request, token=connection.connect_token)
    assert response.status_code == 411


def test_duplicates_are_per_connection(csrf_client, setup):
    """A signed message for connection 1's envelope posted to connection 2's URL first must
    not make the real delivery to connection 1 a redelivery."""
    first, envelope = setup
    second = ConnectionFactory(connect_hmac_secrets=KEY)  # same key: the worst case
    body = json.dumps(message(envelope)).encode()
    assert post(csrf_client, second, body, KEY).status_code == 200
    assert post(csrf_client, first, body, KEY).status_code == 200
    assert ConnectEvent.objects.filter(connection=first, deliveries=1).count() == 1
    assert ConnectEvent.objects.filter(connection=second, deliveries=1).count() == 1
    assert post(csrf_client, first, body, KEY).status_code == 200
    assert ConnectEvent.objects.get(connection=first).deliveries == 2


def test_the_webhook_token_is_stored_encrypted_and_found_by_its_hash(csrf_client, setup):
    connection, envelope = setup
    token = connection.connect_token
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT connect_token, connect_token_hash FROM connections_connection WHERE id = %s",
            [connection.pk],
        )
        stored, digest = cursor.fetchone()
    assert token not in stored
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert post(csrf_client, connection, json.dumps(message(envelope)).encode(), KEY).status_code
    assert ConnectEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_dead_pooled_connection_is_retried_outside_a_transaction(docusign_hosts, monkeypatch):
    from envelopes.tracking.webhooks import Message, Receiver, upsert

    connection = ConnectionFactory(connect_hmac_secrets=KEY)
    receiver = Receiver(connection.pk, connection.name, (KEY,))
    msg = Message(
        {"event": "envelope-sent", "data": {"envelopeId": "e1e1e1e1-0000-0000-0000-000000000009"}},
        "e1e1e1e1-0000-0000-0000-000000000009",
        "envelope-sent",
        "",
    )
    calls = []
    real = db.cursor

    def flaky_cursor(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            from django.db import InterfaceError

            raise InterfaceError("connection already closed")
        return real(*args, **kwargs)

    monkeypatch.setattr(db, "cursor", flaky_cursor)
    assert upsert(receiver, msg, verified=True) is True
    monkeypatch.undo()
    assert len(calls) == 2
    assert ConnectEvent.objects.count() == 1


# --- Unsigned hints ----------------------------------------------------------------------


def _unsigned_setup(connection, envelope):
    connection.connect_hmac_secrets = ""
    connection.save()
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    return responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}"
        f"/envelopes/{envelope.docusign_envelope_id}",
        json={"status": "sent", "recipients": {"signers": []}},
    )


@responses.activate
def test_unsigned_hints_for_one_envelope_cost_one_look_per_window(csrf_client, setup):
    connection, envelope = setup
    looks = _unsigned_setup(connection, envelope)
    for n in range(50):
        hint = message(envelope, generated=f"2026-11-25T10:00:{n:02d}.0000000Z")
        assert post(csrf_client, connection, json.dumps(hint).encode()).status_code == 200
    drain_connect_events(connection.pk)
    assert looks.call_count == 1
    assert ConnectEvent.objects.filter(processed_at__isnull=False).count() == 50
    assert ConnectEvent.objects.filter(note__contains="not checked").count() == 49


@responses.activate
def test_unsigned_hints_never_spend_more_than_their_share_of_the_hour(csrf_client, setup, settings):
    connection, envelope = setup
    settings.DOCUSIGN_HOURLY_LIMIT = 200
    settings.ENVELOPES_UNSIGNED_BUDGET_SHARE = 0.05  # 10 looks an hour
    _unsigned_setup(connection, envelope)
    responses.get(
        url=re.compile(r".*/envelopes/[0-9a-f-]+(\?.*)?$"),
        json={"status": "sent", "recipients": {"signers": []}},
    )
    for n in range(30):  # 30 different envelopes: coalescing cannot help
        other = EnvelopeFactory(
            connection=connection,
            sender=envelope.sender,
            subject="S",
            status="sent",
            docusign_envelope_id=f"f0f0f0f0-0000-0000-0000-{n:012d}",
        )
        hint = message(other)
        assert post(csrf_client, connection, json.dumps(hint).encode()).status_code == 200
    drain_connect_events(connection.pk)
    gets = [c for c in responses.calls if c.request.method == "GET"]
    assert len(gets) == unsigned.hourly_allowance() == 10


@responses.activate
def test_signed_messages_without_a_summary_are_not_rationed(csrf_client, setup):
    connection, envelope = setup
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    looks = responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}"
        f"/envelopes/{envelope.docusign_envelope_id}",
        json={"status": "sent", "recipients": {"signers": []}},
    )
    for n in range(3):
        bare = message(envelope, generated=f"2026-11-25T10:00:{n:02d}.0000000Z")
        del bare["data"]["envelopeSummary"]
        assert post(csrf_client, connection, json.dumps(bare).encode(), KEY).status_code == 200
    drain_connect_events(connection.pk)
    assert looks.call_count == 3


# --- Drain requests ----------------------------------------------------------------------


def test_the_throttle_asks_once_then_once_more_at_the_end_of_the_window():
    asked: list[tuple[int, float]] = []
    done = threading.Event()

    def request(pk: int) -> None:
        asked.append((pk, time.monotonic()))
        if len(asked) == 2:
            done.set()

    throttle = DrainThrottle(request)
    started = time.monotonic()
    for _ in range(100):
        throttle(7, 0.2)
    assert len(asked) == 1  # the first message asked at once, the other 99 wait
    assert done.wait(2.0)  # one trailing request covers them
    assert 0.15 <= asked[1][1] - started < 1.0
    time.sleep(0.3)
    assert len(asked) == 2
    throttle(7, 0.2)  # a new window: asks at once again
    assert len(asked) == 3


def test_without_a_window_every_message_asks():
    asked: list[int] = []
    throttle = DrainThrottle(asked.append)
    for _ in range(3):
        throttle(1, 0)
    assert asked == [1, 1, 1]


def test_a_drain_request_is_a_no_op_while_a_drain_holds_the_key(monkeypatch):
    from django.core.cache import cache

    started: list[int] = []
    monkeypatch.setattr(
        "envelopes.tracking.drain.enqueue",
        lambda name, connection_id, **_: started.append(connection_id),
    )
    tracking.request_drain(5)
    tracking.request_drain(5)
    assert started == [5]
    assert cache.get(tracking.DRAIN_KEY.format(5)) is not None
    cache.delete(tracking.DRAIN_KEY.format(5))  # what a finished (or expired) drain does
    tracking.request_drain(5)
    assert started == [5, 5]


def test_the_raw_upsert_writes_every_connect_event_column():
    """The webhook's INSERT is hand-written SQL: a column added to ConnectEvent later must
    be added there too, or it silently gets NULL (or breaks every message)."""
    from envelopes.tracking.webhooks import _UPSERT

    listed = re.search(r"\(([^)]*)\)\s*VALUES", _UPSERT)
    assert listed is not None
    columns = {c.strip() for c in listed.group(1).split(",")}
    model = {f.column for f in ConnectEvent._meta.concrete_fields if not f.primary_key}
    assert columns == model - {"processed_at"}  # NULL on arrival: not applied yet
