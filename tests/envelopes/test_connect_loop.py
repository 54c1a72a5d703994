"""The whole loop: the simulator's Connect messages drive a sent envelope to completed,
with no polling at all."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import ApiCall
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import ConnectEvent, Envelope, SignedDocument
from simulator.models import SimAccount, SimConnectConfig, SimConnectDelivery, SimEnvelope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=45.0):
    # Long enough for the simulator to retry one delivery that timed out (10 s) with backoff,
    # as DocuSign would: the tests count calls, they do not time Connect.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _send_and_sign(simulator_connection, live_server, client, *, include_documents):
    simulator_connection.connect_hmac_secrets = "shared-connect-key"
    simulator_connection.save()
    account = SimAccount.objects.get(account_id=simulator_connection.account_id)
    SimConnectConfig.objects.create(
        account=account,
        url=f"{live_server.url}/envelopes/connect/{simulator_connection.connect_token}/",
        hmac_secrets="shared-connect-key",
        include_documents=include_documents,
        include_certificate_of_completion=include_documents,
    )
    pdf = SimpleUploadedFile("c.pdf", b"%PDF-1.4 /sig1/")
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=UserFactory(),
        subject="Connect loop",
        recipients=[RecipientInput("Rita Remote", "rita@example.com")],
        uploads=[pdf],
    )
    remote = SimEnvelope.objects.get()
    recipient = remote.recipients.get()
    signing = client.post("/simulator/inbox/?email=rita@example.com", {"recipient": recipient.pk})
    client.post(signing["Location"], {"action": "sign"})
    assert wait_for(lambda: Envelope.objects.get(pk=envelope.pk).status == "completed")
    # Let every Connect delivery finish (and the documents be kept) before the test ends.
    assert wait_for(lambda: not SimConnectDelivery.objects.filter(delivered=False).exists())
    assert wait_for(lambda: SignedDocument.objects.exists())
    envelope.refresh_from_db()
    return envelope


def test_connect_drives_an_envelope_to_completed(simulator_connection, live_server, client):
    envelope = _send_and_sign(simulator_connection, live_server, client, include_documents=False)
    assert envelope.recipients.get().status == "completed"
    assert ConnectEvent.objects.filter(verified=True).count() >= 2
    assert not ApiCall.objects.filter(method="GET", path="/envelopes").exists()  # no polling
    # Without documents in the message, one call fetches them (with the certificate).
    downloads = ApiCall.objects.filter(path="/envelopes/{envelopeId}/documents/{documentId}")
    assert downloads.count() == 1
    assert list(SignedDocument.objects.values_list("document_id", flat=True)) == ["combined"]


def test_connect_with_documents_costs_one_call_per_envelope(
    simulator_connection, live_server, client
):
    envelope = _send_and_sign(simulator_connection, live_server, client, include_documents=True)
    kept = sorted(SignedDocument.objects.values_list("document_id", flat=True))
    assert kept == ["1", "certificate"]
    client.force_login(envelope.sender)
    for _ in range(3):
        for document_id in kept:
            response = client.get(f"/envelopes/{envelope.pk}/documents/{document_id}/")
            assert response.status_code == 200
            assert b"".join(response.streaming_content).startswith(b"%PDF-")
    # The send is the only eSignature call: status and documents came by Connect.
    assert list(ApiCall.objects.exclude(path="/oauth/token").values_list("method", "path")) == [
        ("POST", "/envelopes")
    ]


def test_the_seeded_connection_gets_status_by_connect_out_of_the_box(seeded_connection, client):
    """`make run`'s seed sets up the simulator's Connect with an HMAC key: a remote signature
    reaches the envelope with no polling and no refresh click."""
    assert seeded_connection.hmac_secrets()
    envelope = prepare.prepare_envelope(
        connection=seeded_connection,
        sender=UserFactory(),
        subject="Out of the box",
        recipients=[RecipientInput("Rita Remote", "rita@example.com")],
        uploads=[SimpleUploadedFile("c.pdf", b"%PDF-1.4 /sig1/")],
    )
    recipient = SimEnvelope.objects.get().recipients.get()
    signing = client.post("/simulator/inbox/?email=rita@example.com", {"recipient": recipient.pk})
    client.post(signing["Location"], {"action": "sign"})

    assert wait_for(lambda: Envelope.objects.get(pk=envelope.pk).status == "completed")
    assert ConnectEvent.objects.filter(verified=True).exists()  # signed with the seeded key
    assert not ApiCall.objects.filter(method="GET", path="/envelopes").exists()  # no polling
