"""Signed documents fetched once, kept encrypted, served locally: DocuSign calls counted."""

import base64
import hashlib
import hmac
import json
import tracemalloc

import pytest
import responses
from django.core.files.storage import default_storage
from django.test import Client
from responses import matchers

from connections.models import ApiCall
from envelopes.documents import kept as documents
from envelopes.models import Envelope, SignedDocument
from envelopes.tracking import connect_json, webhooks
from tests.conftest import DEMO_AUTH
from tests.envelopes.test_webhooks import message, post
from tests.factories import ConnectionFactory, EnvelopeFactory, RecipientFactory

pytestmark = pytest.mark.django_db

KEY = "webhook-key-0001"
PDF_A = b"%PDF-1.4 signed by DocuSign, first copy\n" * 50
PDF_B = b"%PDF-1.4 a different copy\n" * 50
CERT = b"%PDF-1.4 certificate of completion\n" * 20


@pytest.fixture
def envelope(docusign_hosts, sender):
    connection = ConnectionFactory(connect_hmac_secrets=KEY)
    envelope = EnvelopeFactory(
        connection=connection,
        sender=sender,
        subject="S",
        status="sent",
        docusign_envelope_id="d0d0d0d0-0000-0000-0000-000000000001",
    )
    RecipientFactory(envelope=envelope, name="A", email="a@example.com", status="sent")
    return envelope


def completed_with(envelope, pdf=PDF_A, cert=CERT, **kwargs):
    body = message(envelope, **kwargs)
    body["data"]["envelopeSummary"]["envelopeDocuments"] = [
        {"documentId": "1", "name": "NDA.pdf", "type": "content", "PDFBytes": _b64(pdf)},
        {"documentId": "certificate", "name": "Summary", "type": "summary", "PDFBytes": _b64(cert)},
    ]
    return json.dumps(body).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def _complete(envelope, django_capture_on_commit_callbacks, body, client=None):
    client = client or Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, envelope.connection, body, KEY).status_code == 200
    envelope.refresh_from_db()


@responses.activate  # no stubs: any DocuSign call fails the test
def test_a_connect_message_with_documents_is_kept_encrypted_and_served_with_no_call(
    envelope, sender_client, django_capture_on_commit_callbacks
):
    _complete(envelope, django_capture_on_commit_callbacks, completed_with(envelope))
    assert envelope.status == "completed"
    kept = {d.document_id: d for d in SignedDocument.objects.all()}
    assert set(kept) == {"1", "certificate"}
    assert kept["1"].sha256 == hashlib.sha256(PDF_A).hexdigest()
    assert kept["1"].source == "connect"
    with default_storage.open(kept["1"].file.name, "rb") as raw:
        at_rest = raw.read()
    assert b"%PDF" not in at_rest
    assert b"DocuSign" not in at_rest
    for _ in range(3):
        assert _content(sender_client.get(f"/envelopes/{envelope.pk}/documents/1/")) == PDF_A
        assert (
            _content(sender_client.get(f"/envelopes/{envelope.pk}/documents/certificate/")) == CERT
        )
    assert len(responses.calls) == 0
    assert ApiCall.objects.count() == 0
    page = sender_client.get(f"/envelopes/{envelope.pk}/").content.decode()
    assert "NDA.pdf" in page
    assert f"/envelopes/{envelope.pk}/documents/certificate/" in page


def test_a_redelivered_message_stores_its_documents_once(
    envelope, django_capture_on_commit_callbacks
):
    body = completed_with(envelope)
    for _ in range(3):
        _complete(envelope, django_capture_on_commit_callbacks, body)
    assert SignedDocument.objects.count() == 2
    _, files = default_storage.listdir(
        default_storage.path(SignedDocument.objects.first().file.name).rsplit("/", 1)[0]
    )
    assert len(files) == 2  # no orphan copies either


def test_a_redelivered_or_late_message_never_replaces_kept_documents(
    envelope, sender_client, django_capture_on_commit_callbacks
):
    _complete(envelope, django_capture_on_commit_callbacks, completed_with(envelope))
    # DocuSign republished the envelope later (new generatedDateTime), with other bytes.
    later = completed_with(envelope, pdf=PDF_B, generated="2026-11-25T12:00:00.0000000Z")
    _complete(envelope, django_capture_on_commit_callbacks, later)
    # And an out-of-order recipient-completed that also carries documents.
    early = completed_with(
        envelope, pdf=PDF_B, event="recipient-completed", generated="2026-11-25T09:00:00.0Z"
    )
    _complete(envelope, django_capture_on_commit_callbacks, early)
    assert SignedDocument.objects.count() == 2
    assert SignedDocument.objects.get(document_id="1").sha256 == hashlib.sha256(PDF_A).hexdigest()
    assert _content(sender_client.get(f"/envelopes/{envelope.pk}/documents/1/")) == PDF_A


def test_documents_in_unsigned_or_unfinished_messages_are_not_kept(
    envelope, django_capture_on_commit_callbacks
):
    sent = completed_with(envelope, event="envelope-sent", status="sent", recipient_status="sent")
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), envelope.connection, sent, KEY)
    assert not SignedDocument.objects.exists()
    envelope.connection.connect_hmac_secrets = ""
    envelope.connection.save()
    webhooks._receivers.clear()
    post(Client(), envelope.connection, completed_with(envelope))  # unsigned: a hint only
    assert not SignedDocument.objects.exists()


def _stub_token():
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )


def _document_url(envelope, document_id):
    return (
        f"https://demo.docusign.net/restapi/v2.1/accounts/{envelope.connection.account_id}"
        f"/envelopes/{envelope.docusign_envelope_id}/documents/{document_id}"
    )


@responses.activate
def test_without_connect_documents_one_call_fetches_them_with_the_certificate(
    envelope, sender_client
):
    _stub_token()
    combined = responses.get(
        _document_url(envelope, "combined"),
        body=PDF_A + CERT,
        content_type="application/pdf",
        match=[matchers.query_param_matcher({"certificate": "true"})],
    )
    Envelope.objects.filter(pk=envelope.pk).update(status="completed")
    envelope.refresh_from_db()
    assert documents.keep_signed_documents(envelope=envelope) == 1
    assert documents.keep_signed_documents(envelope=envelope) == 0  # kept: no second call
    for _ in range(3):
        assert _content(sender_client.get(f"/envelopes/{envelope.pk}/documents/combined/")) == (
            PDF_A + CERT
        )
    assert combined.call_count == 1
    assert ApiCall.objects.exclude(path="/oauth/token").count() == 1


@responses.activate
def test_the_first_download_of_a_completed_envelope_keeps_it(envelope, sender_client):
    _stub_token()
    combined = responses.get(_document_url(envelope, "combined"), body=PDF_A)
    Envelope.objects.filter(pk=envelope.pk).update(status="completed")
    for _ in range(3):
        assert _content(sender_client.get(f"/envelopes/{envelope.pk}/documents/combined/")) == PDF_A
    assert combined.call_count == 1


@responses.activate
def test_downloads_of_an_envelope_not_completed_still_go_to_docusign(envelope, sender_client):
    _stub_token()
    live = responses.get(_document_url(envelope, "combined"), body=b"%PDF-1.4 in progress")
    for _ in range(3):
        response = sender_client.get(f"/envelopes/{envelope.pk}/documents/combined/")
        assert _content(response) == b"%PDF-1.4 in progress"
    assert live.call_count == 3
    assert not SignedDocument.objects.exists()


@responses.activate
def test_completion_by_polling_keeps_the_documents(envelope, django_capture_on_commit_callbacks):
    from envelopes.tracking.apply import apply_envelope_summary

    envelope.connection.connect_hmac_secrets = ""
    envelope.connection.save()
    _stub_token()
    combined = responses.get(_document_url(envelope, "combined"), body=PDF_A)
    with django_capture_on_commit_callbacks(execute=True):
        apply_envelope_summary(envelope, {"status": "completed"}, source="docusign")
    assert combined.call_count == 1
    assert SignedDocument.objects.get().document_id == "combined"


def test_a_large_message_is_streamed_not_parsed_whole(envelope, monkeypatch):
    """Past IN_MEMORY_BYTES the body goes to a spooled file and is parsed incrementally:
    the receiver's peak memory stays near one copy of the document (the request itself is
    made before measuring; a server holds the body in its socket, not in Python)."""
    from django.test import RequestFactory

    big = b"%PDF-1.4\n" + bytes(range(256)) * (8 * 1024 * 1024 // 256)  # 8 MiB
    body = completed_with(envelope, pdf=big)
    signature = base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest()).decode()
    request = RequestFactory().post(
        "/", data=body, content_type="application/json", HTTP_X_DOCUSIGN_SIGNATURE_1=signature
    )

    def no_whole_parse(*args, **kwargs):
        raise AssertionError("a large message must not be parsed in one go")

    monkeypatch.setattr(connect_json, "loads", no_whole_parse)
    view = webhooks.ConnectWebhookView.as_view()
    tracemalloc.start()
    try:
        response = view(request, token=envelope.connection.connect_token)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    kept = SignedDocument.objects.get(document_id="1")
    assert kept.size == len(big)
    assert kept.sha256 == hashlib.sha256(big).hexdigest()
    assert b"".join(documents.read_decrypted(kept)) == big
    assert peak < 1.6 * len(body), f"peak {peak} bytes for a {len(body)}-byte message"


def test_rotating_the_encryption_key_re_encrypts_kept_documents(envelope, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    original = list(settings.FIELD_ENCRYPTION_KEYS)  # the connection's secrets use it
    settings.FIELD_ENCRYPTION_KEYS = [old]
    kept = documents.keep(
        connection_id=envelope.connection_id,
        docusign_envelope_id=envelope.docusign_envelope_id,
        document_id="combined",
        name="x.pdf",
        kind="content",
        chunks=[PDF_A],
        source="download",
    )
    settings.FIELD_ENCRYPTION_KEYS = [new, old, *original]
    call_command("rotate_encryption_key")
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can now go
    assert kept is not None
    kept.refresh_from_db()
    assert b"".join(documents.read_decrypted(kept)) == PDF_A
