"""Countersign's own client against the simulator over real HTTP (live_server)."""

import base64

import pytest
from django.core.management import call_command

from connections.models import ApiCall, Connection
from connections.services import check_connection, get_client
from simulator.models import SimConsent
from simulator.seed import CONNECTION_NAME, seed_simulator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(simulator_connection, live_server):
    return simulator_connection, seed_simulator(site_url=live_server.url)


def test_the_seeded_connection_passes_the_whole_check(seeded, capsys):
    connection, lines = seeded
    assert "Mutual NDA" in " ".join(lines)
    call_command("docusign_check", CONNECTION_NAME)
    out = capsys.readouterr().out
    assert "✓ eSignature API answers" in out
    connection.refresh_from_db()
    assert connection.status == Connection.Status.CONNECTED
    assert {c.path for c in ApiCall.objects.filter(connection=connection)} == {
        "/oauth/token",
        "/oauth/userinfo",
        "/",
    }


def test_seeding_again_changes_nothing_that_works(seeded, live_server):
    connection, _ = seeded
    seed_simulator(site_url=live_server.url)
    again = Connection.objects.get(name=CONNECTION_NAME)
    assert again.key_fingerprint == connection.key_fingerprint
    assert check_connection(connection=again).ok


def test_discovery_fills_account_and_base_uri_from_the_simulator(seeded, live_server):
    connection, _ = seeded
    expected = (connection.account_id, connection.base_uri)
    connection.account_id = connection.base_uri = ""
    connection.save()
    assert check_connection(connection=connection).ok
    connection.refresh_from_db()
    assert (connection.account_id, connection.base_uri) == expected


def test_revoked_consent_turns_the_connection_awaiting_consent(seeded):
    connection, _ = seeded
    SimConsent.objects.all().delete()
    result = check_connection(connection=connection)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.AWAITING_CONSENT
    assert "consent" in result.error.advice


def test_the_client_sends_and_reads_an_envelope(seeded):
    connection, _ = seeded
    client = get_client(connection)
    html = "<p>Please sign: /sig1/</p>"
    created = client.post_json(
        "/envelopes",
        json={
            "emailSubject": "Integration",
            "status": "sent",
            "documents": [
                {
                    "documentBase64": base64.b64encode(html.encode()).decode(),
                    "name": "Doc",
                    "fileExtension": "html",
                    "documentId": 1,
                }
            ],
            "recipients": {
                "signers": [
                    {
                        "email": "s@example.com",
                        "name": "S",
                        "recipientId": 1,
                        "routingOrder": 1,
                        "tabs": {"signHereTabs": [{"anchorString": "/sig1/"}]},
                    }
                ]
            },
        },
    )
    envelope = client.get_json(
        "/envelopes/{envelopeId}", path_params={"envelopeId": created["envelopeId"]}
    )
    assert envelope["status"] == "sent"
    assert ApiCall.objects.filter(path="/envelopes/{envelopeId}", status_code=200).exists()
