"""Connect: status changes are POSTed as DocuSign's JSON SIM messages, signed with HMAC."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from simulator.esign.connect import deliver
from simulator.models import SimConnectConfig, SimConnectDelivery
from tests.simulator.test_esign import create, sign_embedded, signer

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A Connect listener on loopback that records what it receives."""

    def __init__(self, fail_first: int = 0):
        self.messages: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                else:
                    receiver.messages.append((dict(self.headers), body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/connect"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def expected_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_status_changes_are_delivered_with_one_signature_per_key(api, client, world, receiver):
    SimConnectConfig.objects.create(
        account=world.account,
        url=receiver.url,
        events=["envelope-sent", "envelope-completed"],
        hmac_secrets="first-secret\nsecond-secret",
    )
    envelope_id = create(api, recipients={"signers": [signer(1, 1, embedded=True)]})
    sign_embedded(client, api, envelope_id)
    messages = receiver.wait_for(2)
    events = [json.loads(body)["event"] for _, body in messages]
    assert sorted(events) == ["envelope-completed", "envelope-sent"]
    headers, body = messages[0]
    assert headers["X-DocuSign-Signature-1"] == expected_signature(body, "first-secret")
    assert headers["X-DocuSign-Signature-2"] == expected_signature(body, "second-secret")
    message = json.loads(body)
    assert set(message) == {
        "event",
        "apiVersion",
        "uri",
        "retryCount",
        "configurationId",
        "generatedDateTime",
        "data",
    }
    assert message["data"]["envelopeId"] == envelope_id
    assert message["data"]["accountId"] == world.account.account_id
    assert (
        message["uri"]
        == f"/restapi/v2.1/accounts/{world.account.account_id}/envelopes/{envelope_id}"
    )
    assert message["data"]["envelopeSummary"]["status"] in ("sent", "completed")


def test_hmac_secrets_are_encrypted_at_rest(world):
    from django.db import connection

    config = SimConnectConfig.objects.create(
        account=world.account, url="https://x.example/", hmac_secrets="top-secret"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT hmac_secrets FROM simulator_simconnectconfig WHERE id = %s", [config.pk]
        )
        assert "top-secret" not in cursor.fetchone()[0]


def test_failed_deliveries_are_retried_with_backoff_until_acknowledged(world):
    receiver = Receiver(fail_first=2)
    try:
        config = SimConnectConfig.objects.create(account=world.account, url=receiver.url)
        delivery = SimConnectDelivery.objects.create(
            config=config,
            url=receiver.url,
            event="envelope-sent",
            envelope_id="e",
            body=json.dumps({"event": "envelope-sent", "retryCount": 0}),
        )
        assert deliver(delivery.pk, ["k"], first_delay=0.01)
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status, delivery.delivered) == (3, 200, True)
        assert json.loads(receiver.messages[0][1])["retryCount"] == 2
    finally:
        receiver.close()


def test_the_envelopes_own_event_notification_is_honoured(api, world, receiver):
    SimConnectConfig.objects.create(
        account=world.account,
        url="http://127.0.0.1:9/unused",
        events=["never"],
        hmac_secrets="acct-key",
    )
    create(
        api,
        eventNotification={"url": receiver.url, "includeHMAC": "true", "events": ["envelope-sent"]},
    )
    headers, body = receiver.wait_for(1)[0]
    assert json.loads(body)["event"] == "envelope-sent"
    assert headers["X-DocuSign-Signature-1"] == expected_signature(body, "acct-key")


def _documents(body: bytes) -> dict[str, bytes]:
    summary = json.loads(body)["data"]["envelopeSummary"]
    return {
        d["documentId"]: base64.b64decode(d["PDFBytes"])
        for d in summary.get("envelopeDocuments", [])
    }


def test_include_documents_puts_the_pdfs_and_the_certificate_in_messages(
    api, client, world, receiver
):
    SimConnectConfig.objects.create(
        account=world.account,
        url=receiver.url,
        events=["envelope-sent", "envelope-completed"],
        hmac_secrets="k",
        include_documents=True,
        include_certificate_of_completion=True,
    )
    envelope_id = create(api, recipients={"signers": [signer(1, 1, embedded=True)]})
    sign_embedded(client, api, envelope_id)
    by_event = {json.loads(body)["event"]: body for _, body in receiver.wait_for(2)}
    sent = _documents(by_event["envelope-sent"])
    completed = _documents(by_event["envelope-completed"])
    assert list(sent) == ["1"]  # the certificate comes only with a completed envelope
    assert list(completed) == ["1", "certificate"]
    assert all(pdf.startswith(b"%PDF-") for pdf in completed.values())
    served = api("GET", f"/envelopes/{envelope_id}/documents/certificate").content
    assert completed["certificate"] == served
    item = json.loads(by_event["envelope-completed"])["data"]["envelopeSummary"][
        "envelopeDocuments"
    ][1]
    assert item["type"] == "summary"


def test_messages_carry_no_documents_unless_asked(api, client, world, receiver):
    SimConnectConfig.objects.create(
        account=world.account, url=receiver.url, events=["envelope-sent"], hmac_secrets="k"
    )
    create(api)
    _, body = receiver.wait_for(1)[0]
    assert "envelopeDocuments" not in json.loads(body)["data"]["envelopeSummary"]


def test_an_envelopes_event_notification_can_include_documents(api, world, receiver):
    create(
        api,
        eventNotification={
            "url": receiver.url,
            "events": ["envelope-sent"],
            "includeDocuments": "true",
            "includeCertificateOfCompletion": "true",
        },
    )
    _, body = receiver.wait_for(1)[0]
    assert list(_documents(body)) == ["1"]  # not completed yet: no certificate


def test_a_delivery_still_retrying_when_its_test_ends_is_stopped(world):
    """The suite's hook calls stop_deliveries after each test: a delivery retrying against a
    dead listener stops at once instead of writing into the next test."""
    from simulator.esign import connect

    config = SimConnectConfig.objects.create(account=world.account, url="http://127.0.0.1:9/")
    delivery = SimConnectDelivery.objects.create(
        config=config,
        url=config.url,
        event="envelope-sent",
        envelope_id="e",
        body=json.dumps({"event": "envelope-sent", "retryCount": 0}),
    )
    connect._start(delivery.pk, [])
    assert connect.stop_deliveries() == 1
    assert not connect._running
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.delivered) == (1, False)  # no retry after the stop


def test_a_test_that_leaves_a_delivery_retrying(world):
    """The first of a pair: it ends while its delivery is still retrying."""
    from simulator.esign import connect

    config = SimConnectConfig.objects.create(account=world.account, url="http://127.0.0.1:9/")
    delivery = SimConnectDelivery.objects.create(
        config=config, url=config.url, event="envelope-sent", envelope_id="e", body="{}"
    )
    connect._start(delivery.pk, [])
    assert connect._running


def test_the_next_test_starts_with_no_delivery_running():
    """The pair's second: the suite's hook (tests/conftest.py) stopped and joined it."""
    from simulator.esign import connect

    assert not connect._running
