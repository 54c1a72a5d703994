"""The Connect receiver: HMAC (valid, missing, wrong, rotated), redelivery, order, size."""

import base64
import hashlib
import hmac
import json

import pytest
import responses
from django.test import Client

from envelopes.models import ConnectEvent, Envelope, Recipient
from envelopes.sending import create
from envelopes.signals import envelope_status_changed, recipient_completed
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory, EnvelopeFactory, RecipientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)  # proves the receiver is csrf-exempt


@pytest.fixture
def setup(docusign_hosts):
    connection = ConnectionFactory(connect_hmac_secrets="old-key\nnew-key")
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


def message(
    envelope,
    event="envelope-completed",
    status="completed",
    generated="2026-11-25T10:00:00.0000000Z",
    recipient_status="completed",
):
    return {
        "event": event,
        "apiVersion": "v2.1",
        "uri": f"/restapi/v2.1/accounts/x/envelopes/{envelope.docusign_envelope_id}",
        "retryCount": 0,
        "configurationId": 1,
        "generatedDateTime": generated,
        "data": {
            "accountId": "x",
            "envelopeId": envelope.docusign_envelope_id,
            "envelopeSummary": {
                "status": status,
                "completedDateTime": "2026-11-25T10:00:00.0000000Z",
                "recipients": {"signers": [{"recipientId": "1", "status": recipient_status}]},
                "envelopeDocuments": [{"documentId": "1", "PDFBytes": "JVBERi0xLjQK"}],
            },
        },
    }


def post(client, connection, body: bytes, *keys):
    headers = {
        f"HTTP_X_DOCUSIGN_SIGNATURE_{i}": base64.b64encode(
            hmac.new(k.encode(), body, hashlib.sha256).digest()
        ).decode()
        for i, k in enumerate(keys, start=1)
    }
    return client.post(
        f"/envelopes/connect/{connection.connect_token}/",
        data=body,
        content_type="application/json",
        **headers,
    )


@pytest.mark.parametrize(
    ("keys", "status"),
    [
        (("new-key",), 200),
        (("old-key",), 200),  # rotation: either configured key works
        (("stale", "new-key"), 200),  # one header per DocuSign key; one match is enough
        (("wrong-key",), 401),
        ((), 401),
    ],
)
def test_hmac_signatures(csrf_client, setup, keys, status, caplog):
    connection, envelope = setup
    response = post(csrf_client, connection, json.dumps(message(envelope)).encode(), *keys)
    assert response.status_code == status
    assert ConnectEvent.objects.count() == (1 if status == 200 else 0)
    assert "new-key" not in caplog.text
    assert "old-key" not in caplog.text
    if status == 401:
        assert "rejected" in caplog.text


def test_a_valid_message_is_applied_with_signals(
    csrf_client, setup, django_capture_on_commit_callbacks
):
    connection, envelope = setup
    seen: list[tuple[str, ...]] = []
    envelope_status_changed.connect(
        lambda **kw: seen.append(("env", kw["old_status"], kw["new_status"])),
        weak=False,
        dispatch_uid="t1",
    )
    recipient_completed.connect(
        lambda **kw: seen.append(("rcp", kw["recipient"].email)), weak=False, dispatch_uid="t2"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post(csrf_client, connection, json.dumps(message(envelope)).encode(), "new-key")
    finally:
        envelope_status_changed.disconnect(dispatch_uid="t1")
        recipient_completed.disconnect(dispatch_uid="t2")
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    assert envelope.recipients.get().status == "completed"
    assert ("env", "sent", "completed") in seen
    assert ("rcp", "a@example.com") in seen
    stored = ConnectEvent.objects.get()
    assert stored.processed_at is not None
    assert "PDFBytes" not in json.dumps(stored.body)  # document content is not kept


def test_redelivery_is_stored_once(csrf_client, setup):
    connection, envelope = setup
    body = json.dumps(message(envelope)).encode()
    for _ in range(3):
        assert post(csrf_client, connection, body, "new-key").status_code == 200
    event = ConnectEvent.objects.get()
    assert event.deliveries == 3


def test_out_of_order_messages_never_move_an_envelope_backwards(
    csrf_client, setup, django_capture_on_commit_callbacks
):
    connection, envelope = setup
    with django_capture_on_commit_callbacks(execute=True):
        post(csrf_client, connection, json.dumps(message(envelope)).encode(), "new-key")
        late = message(
            envelope,
            event="envelope-delivered",
            status="delivered",
            generated="2026-11-25T09:00:00.0000000Z",
            recipient_status="delivered",
        )
        post(csrf_client, connection, json.dumps(late).encode(), "new-key")
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    assert ConnectEvent.objects.count() == 2


def test_messages_for_unknown_envelopes_are_kept_and_flagged(
    csrf_client, setup, django_capture_on_commit_callbacks
):
    connection, envelope = setup
    stranger = message(envelope)
    stranger["data"]["envelopeId"] = "ffffffff-0000-0000-0000-000000000000"
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post(csrf_client, connection, json.dumps(stranger).encode(), "new-key").status_code
            == 200
        )
    assert ConnectEvent.objects.get().unknown_envelope


def test_oversized_bodies_are_refused(csrf_client, setup, settings):
    connection, envelope = setup
    settings.ENVELOPES_CONNECT_MAX_BYTES = 100
    response = post(csrf_client, connection, json.dumps(message(envelope)).encode(), "new-key")
    assert response.status_code == 413
    assert not ConnectEvent.objects.exists()


def test_garbage_and_unknown_paths(csrf_client, setup):
    connection, _ = setup
    assert post(csrf_client, connection, b"not json", "new-key").status_code == 400
    assert (
        csrf_client.post(
            "/envelopes/connect/not-a-token/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert csrf_client.get(f"/envelopes/connect/{connection.connect_token}/").status_code == 405


@responses.activate
def test_without_hmac_keys_a_message_is_a_hint_checked_with_docusign(
    csrf_client, setup, django_capture_on_commit_callbacks
):
    connection, envelope = setup
    connection.connect_hmac_secrets = ""
    connection.save()
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}/envelopes/{envelope.docusign_envelope_id}",
        json={
            "status": "delivered",
            "recipients": {"signers": [{"recipientId": "1", "status": "delivered"}]},
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(csrf_client, connection, json.dumps(message(envelope)).encode())  # claims "completed"
    envelope.refresh_from_db()
    assert envelope.status == "delivered"  # DocuSign's answer, not the unsigned claim


def test_messages_that_arrived_before_the_envelope_id_was_saved_are_applied_after(
    csrf_client, setup, django_capture_on_commit_callbacks
):
    from envelopes.sending.create import replay_early_connect_messages

    connection, envelope = setup
    early_id = envelope.docusign_envelope_id
    Envelope.objects.filter(pk=envelope.pk).update(docusign_envelope_id="")
    with django_capture_on_commit_callbacks(execute=True):
        post(csrf_client, connection, json.dumps(message(envelope)).encode(), "new-key")
    assert ConnectEvent.objects.get().unknown_envelope
    Envelope.objects.filter(pk=envelope.pk).update(docusign_envelope_id=early_id)
    envelope.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        replay_early_connect_messages(envelope)
    envelope.refresh_from_db()
    assert envelope.status == "completed"
    assert not ConnectEvent.objects.get().unknown_envelope


def test_new_hmac_keys_apply_once_the_short_receiver_cache_expires(csrf_client, setup, monkeypatch):
    from envelopes.tracking import webhooks

    connection, envelope = setup
    body = json.dumps(message(envelope)).encode()
    assert post(csrf_client, connection, body, "new-key").status_code == 200
    connection.connect_hmac_secrets = "rotated-key"
    connection.save()
    second = json.dumps(message(envelope, generated="2026-11-25T11:00:00.0000000Z")).encode()
    assert post(csrf_client, connection, second, "new-key").status_code == 200  # cached keys
    monkeypatch.setattr(webhooks, "RECEIVER_TTL", 0.0)
    assert post(csrf_client, connection, second, "new-key").status_code == 401
    assert post(csrf_client, connection, second, "rotated-key").status_code == 200


@responses.activate
def test_sending_applies_connect_messages_that_arrived_before_it_saved_the_id(
    csrf_client, setup, django_capture_on_commit_callbacks
):
    """DocuSign may report an envelope before `send_envelope` has stored its ID: the send
    itself must pick those messages up (not only a later message or poll)."""

    connection, envelope = setup
    early_id = envelope.docusign_envelope_id
    Envelope.objects.filter(pk=envelope.pk).update(
        docusign_envelope_id="", status="queued", source="generated"
    )
    Recipient.objects.filter(envelope=envelope).update(status="created")
    with django_capture_on_commit_callbacks(execute=True):
        post(csrf_client, connection, json.dumps(message(envelope)).encode(), "new-key")
    assert ConnectEvent.objects.get().unknown_envelope
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.post(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}/envelopes",
        json={"envelopeId": early_id, "status": "sent"},
        status=201,
    )
    with django_capture_on_commit_callbacks(execute=True):
        create.send_envelope(envelope_id=str(envelope.pk))
    envelope.refresh_from_db()
    assert envelope.docusign_envelope_id == early_id
    assert envelope.status == "completed"  # the early message, applied by the send
    assert envelope.recipients.get().status == "completed"
    assert not ConnectEvent.objects.get().unknown_envelope
