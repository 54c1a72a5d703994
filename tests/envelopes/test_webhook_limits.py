"""The Connect receiver's edges (issue 21): unsigned messages are small hints refused before
they are read when large and stored without anything but the hint; JSON that DocuSign never
sends (deep nesting, NaN/Infinity, lone surrogates) gets 400, never 500 or 503."""

import json

import pytest
from django.http import JsonResponse
from django.test import Client, RequestFactory

from envelopes.models import ConnectEvent, Envelope, SignedDocument
from envelopes.tracking.connect_json import MAX_DEPTH
from envelopes.tracking.webhooks import IN_MEMORY_BYTES, ConnectWebhookView
from tests.envelopes.test_webhooks import message, post
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY = "webhook-key-0001"
ENVELOPE_ID = "e1e1e1e1-0000-0000-0000-000000000001"


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _envelope(connection):
    return Envelope.objects.create(
        connection=connection,
        sender=UserFactory(),
        subject="S",
        source="uploads",
        status="sent",
        docusign_envelope_id=ENVELOPE_ID,
    )


@pytest.fixture
def signed(docusign_hosts):
    connection = ConnectionFactory(connect_hmac_secrets=KEY)
    return connection, _envelope(connection)


@pytest.fixture
def unsigned(docusign_hosts):
    connection = ConnectionFactory(connect_hmac_secrets="")
    return connection, _envelope(connection)


class NeverRead:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_large_unsigned_message_is_refused_before_it_is_read(unsigned, settings):
    connection, _ = unsigned
    length = settings.ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES + 1
    request = RequestFactory().post(
        "/", content_type="application/json", CONTENT_LENGTH=str(length)
    )
    request.META["wsgi.input"] = NeverRead()
    request._stream = NeverRead()  # type: ignore[assignment]  # what request.read() uses
    response = ConnectWebhookView.as_view()(request, token=connection.connect_token)
    assert isinstance(response, JsonResponse)
    assert response.status_code == 413
    error = json.loads(response.content)["error"]
    assert "ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES" in error
    assert "HMAC keys" in error
    assert not ConnectEvent.objects.exists()


def test_an_unsigned_message_over_the_cap_with_documents_is_refused(csrf_client, unsigned):
    connection, envelope = unsigned
    big = message(envelope)
    big["data"]["envelopeSummary"]["envelopeDocuments"][0]["PDFBytes"] = "A" * 100_000
    response = post(csrf_client, connection, json.dumps(big).encode())
    assert response.status_code == 413
    assert not ConnectEvent.objects.exists()
    assert not SignedDocument.objects.exists()


def test_a_signed_message_keeps_docusigns_limit(csrf_client, signed, settings):
    connection, envelope = signed
    big = message(envelope)
    big["data"]["envelopeSummary"]["envelopeDocuments"][0]["PDFBytes"] = "JVBE" * 50_000
    body = json.dumps(big).encode()
    assert len(body) > settings.ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES
    assert post(csrf_client, connection, body, KEY).status_code == 200
    assert SignedDocument.objects.count() == 1


def test_an_unsigned_message_is_stored_as_a_hint_only(csrf_client, unsigned):
    connection, envelope = unsigned
    hint = message(envelope)
    hint["data"]["recipientId"] = "1"
    hint["data"]["junk"] = "x" * 30_000
    body = json.dumps(hint).encode()
    assert post(csrf_client, connection, body).status_code == 200
    assert post(csrf_client, connection, body).status_code == 200  # a redelivery
    stored = ConnectEvent.objects.get()
    assert stored.deliveries == 2  # still recognised as the same message
    assert not stored.verified
    assert stored.body == {
        "event": "envelope-completed",
        "generatedDateTime": "2026-11-25T10:00:00.0000000Z",
        "data": {"envelopeId": ENVELOPE_ID, "recipientId": "1"},
    }
    assert not SignedDocument.objects.exists()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ('"nest": ' + _nested(MAX_DEPTH + 1), "deeper than"),
        ('"nest": ' + _nested(100_000), "deeper than"),  # RecursionError before
        ('"nest": ' + "{" * 50_000, "deeper than"),  # unclosed, still not parsed at all
        ('"n": NaN', "NaN is not a JSON number"),
        ('"n": Infinity', "Infinity is not a JSON number"),
        ('"n": -Infinity', "-Infinity is not a JSON number"),
        ('"s": "\\ud800"', "lone UTF-16 surrogate"),
        ('"s": "a\\udfffb"', "lone UTF-16 surrogate"),
        ('"\\udc00": 1', "lone UTF-16 surrogate"),
    ],
)
def test_json_docusign_never_sends_gets_400(csrf_client, signed, raw, complaint):
    connection, envelope = signed
    text = json.dumps(message(envelope))
    body = ("{" + raw + ", " + text[1:]).encode()
    response = post(csrf_client, connection, body, KEY)
    assert response.status_code == 400, response.content[:300]
    assert complaint in response.json()["error"]
    assert not ConnectEvent.objects.exists()


def test_unsigned_hostile_json_gets_400_too(csrf_client, unsigned):
    connection, envelope = unsigned
    body = ('{"n": NaN, ' + json.dumps(message(envelope))[1:]).encode()
    assert post(csrf_client, connection, body).status_code == 400
    body = ('{"nest": ' + _nested(20_000) + ", " + json.dumps(message(envelope))[1:]).encode()
    assert post(csrf_client, connection, body).status_code == 400


def test_brackets_in_strings_and_surrogate_pairs_are_fine(csrf_client, signed):
    connection, envelope = signed
    fine = message(envelope)
    fine["data"]["envelopeSummary"]["emailSubject"] = "[" * 500 + "\U0001f600"  # escaped pair
    fine["nest"] = json.loads(_nested(MAX_DEPTH - 2))
    body = json.dumps(fine).encode()  # ensure_ascii: the emoji is sent as \ud83d\ude00
    assert b"\\ud83d\\ude00" in body
    assert post(csrf_client, connection, body, KEY).status_code == 200


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ('"nest": ' + _nested(MAX_DEPTH + 1), "deeper than"),
        ('"n": NaN', "not JSON"),
        ('"s": "a\\u0000"', "NUL"),
    ],
)
def test_large_signed_messages_parsed_as_a_stream_are_checked_alike(
    csrf_client, signed, raw, complaint
):
    connection, envelope = signed
    big = message(envelope)
    big["data"]["envelopeSummary"]["envelopeDocuments"][0]["PDFBytes"] = "JVBE" * (
        IN_MEMORY_BYTES // 3
    )
    body = ("{" + raw + ", " + json.dumps(big)[1:]).encode()
    assert len(body) > IN_MEMORY_BYTES
    response = post(csrf_client, connection, body, KEY)
    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert not ConnectEvent.objects.exists()
    assert not SignedDocument.objects.exists()
