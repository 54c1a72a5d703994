"""The whole loop: the simulator's Connect messages drive a sent envelope to completed,
with no polling at all."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import ApiCall
from envelopes import services
from envelopes.models import ConnectEvent, Envelope
from envelopes.services import RecipientInput
from simulator.models import SimAccount, SimConnectConfig, SimEnvelope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_connect_drives_an_envelope_to_completed(simulator_connection, live_server, client):
    simulator_connection.connect_hmac_secrets = "shared-connect-key"
    simulator_connection.save()
    account = SimAccount.objects.get(account_id=simulator_connection.account_id)
    SimConnectConfig.objects.create(
        account=account,
        url=f"{live_server.url}/envelopes/connect/{simulator_connection.connect_token}/",
        hmac_secrets="shared-connect-key",
    )
    pdf = SimpleUploadedFile("c.pdf", b"%PDF-1.4 /sig1/")
    envelope = services.prepare_envelope(
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
    envelope.refresh_from_db()
    assert envelope.recipients.get().status == "completed"
    assert ConnectEvent.objects.filter(verified=True).count() >= 2
    assert not ApiCall.objects.filter(method="GET", path="/envelopes").exists()  # no polling


def test_the_seeded_connection_gets_status_by_connect_out_of_the_box(seeded_connection, client):
    """`make run`'s seed sets up the simulator's Connect with an HMAC key: a remote signature
    reaches the envelope with no polling and no refresh click."""
    assert seeded_connection.hmac_secrets()
    envelope = services.prepare_envelope(
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
