"""Envelope services against the simulator over real HTTP: send, recover, void, download."""

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from connections.docusign.errors import DocuSignUnreachable
from connections.installation import installation_id
from connections.models import ApiCall
from connections.services import get_client
from envelopes import signing
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.documents import kept
from envelopes.models import Envelope
from envelopes.sending import create, voids
from simulator.esign.api import inject_fault
from simulator.models import SimEnvelope, SimSigningSession
from tests.factories import DocumentTemplateFactory

# Erin, the in-app signer, is an app user with the recipients' email in every test.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("app_signer")]

NDA_BODY = "<h1>Agreement with {{ company }}</h1><p>Signed: /sig1/ on /date1/</p><p>/sig2/</p>"


@pytest.fixture
def doc_template():
    return DocumentTemplateFactory(
        name="Agreement",
        body=NDA_BODY,
        fields=[{"name": "company", "label": "Company", "required": True}],
    )


def two_signers(embedded_first=True):
    return [
        RecipientInput(
            "Erin Embedded", "erin@example.com", routing_order=1, embedded=embedded_first
        ),
        RecipientInput("Rita Remote", "rita@example.com", routing_order=2),
    ]


def generated(connection, sender, template, **overrides):
    """The usual test envelope: the agreement template, filled in, to two signers."""
    args = {
        "connection": connection,
        "sender": sender,
        "subject": "Agreement",
        "recipients": two_signers(),
        "document_template": template,
        "template_data": {"company": "Acme"},
    }
    args.update(overrides)
    return prepare.prepare_envelope(**args)


def test_a_generated_document_is_sent_once_committed(simulator_connection, sender, doc_template):
    envelope = generated(
        simulator_connection,
        sender,
        doc_template,
        subject="Agreement",
        template_data={"company": "Acme <Ltd>"},
    )
    envelope.refresh_from_db()  # the eager task ran on commit
    assert envelope.status == Envelope.Status.SENT
    remote = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    assert remote.custom_fields == {
        "countersign_id": str(envelope.pk),
        "countersign_installation": installation_id(),
    }
    html = bytes(remote.documents.get().content).decode()
    assert "Agreement with Acme &lt;Ltd&gt;" in html  # data is escaped
    assert [r.status for r in remote.recipients.all()] == ["sent", "created"]
    assert remote.recipients.first().client_user_id == envelope.recipients.first().client_user_id
    assert [e.kind for e in envelope.events.all()] == ["queued", "sent"]
    assert ApiCall.objects.filter(method="POST", path="/envelopes").count() == 1


def test_uploaded_pdfs_are_sent(simulator_connection, sender):
    pdf = SimpleUploadedFile(
        "contract.pdf", b"%PDF-1.4\n/sig1/\n%%EOF", content_type="application/pdf"
    )
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sender,
        subject="Contract",
        recipients=[RecipientInput("Rita Remote", "rita@example.com")],
        uploads=[pdf],
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    assert envelope.documents.get().sha256
    remote = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    assert bytes(remote.documents.get().content).startswith(b"%PDF-1.4")


@pytest.fixture
def no_worker(monkeypatch):
    """We play the worker ourselves: the send task is recorded, not run."""
    from envelopes import tasks

    queued = []
    monkeypatch.setattr(tasks.send_envelope, "delay", queued.append)
    return queued


def test_a_timed_out_create_is_found_on_retry_not_sent_twice(
    simulator_connection, sender, doc_template, settings, no_worker
):
    envelope = generated(simulator_connection, sender, doc_template, subject="Agreement")
    get_client(simulator_connection).token_provider.get()  # minting may be slow here
    settings.DOCUSIGN_READ_TIMEOUT = 0.5
    settings.DOCUSIGN_SEARCH_LAG_SECONDS = 0
    # DocuSign creates the envelope, but only after we have given up waiting.
    inject_fault(status=200, count=1, path_contains="/envelopes", delay_ms=1500)
    envelope = create.send_envelope(envelope_id=str(envelope.pk))
    assert envelope.status == Envelope.Status.QUEUED  # back in the queue for the retry
    assert DocuSignUnreachable.title in envelope.events.last().detail
    deadline = time.monotonic() + 10
    while not SimEnvelope.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert SimEnvelope.objects.count() == 1

    Envelope.objects.filter(pk=envelope.pk).update(next_attempt_at=timezone.now())
    create.send_envelope(envelope_id=str(envelope.pk))  # the retry
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    assert envelope.docusign_envelope_id == SimEnvelope.objects.get().envelope_id
    assert SimEnvelope.objects.count() == 1
    assert ApiCall.objects.filter(method="POST", path="/envelopes").count() == 1
    assert "recovered" in [e.kind for e in envelope.events.all()]


def test_a_second_worker_cannot_claim_an_envelope_being_sent(
    simulator_connection, sender, doc_template, no_worker
):
    envelope = generated(
        simulator_connection, sender, doc_template, subject="A", template_data={"company": "X"}
    )
    # Another worker claimed it a moment ago (its lease has not run out).
    Envelope.objects.filter(pk=envelope.pk).update(
        status=Envelope.Status.SENDING, claimed_at=timezone.now()
    )
    assert create.send_envelope(envelope_id=str(envelope.pk)) is None
    assert not SimEnvelope.objects.exists()


def test_docusigns_rejection_fails_the_envelope_with_advice(simulator_connection, sender):
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sender,
        subject="From template",
        recipients=[RecipientInput("A", "a@example.com", role_name="Signer")],
        docusign_template_id="00000000-0000-0000-0000-000000000000",
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.FAILED
    assert envelope.error_code == "TEMPLATE_ID_INVALID"
    assert "Refresh the template list" in envelope.error_detail


def test_send_from_a_docusign_template_with_prefilled_tabs(simulator_connection, sender):
    templates = prepare.list_templates(connection=simulator_connection)
    nda = next(t for t in templates if t["name"] == "Mutual NDA")
    roles = prepare.template_roles(connection=simulator_connection, template_id=nda["templateId"])
    assert [(r["roleName"], r["textTabs"]) for r in roles] == [
        ("Company", ["company_name", "effective_date"]),
        ("Signer", []),
    ]
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sender,
        subject="NDA",
        recipients=[
            RecipientInput(
                "Acme Legal", "legal@acme.example", role_name="Company", routing_order=1
            ),
            RecipientInput("Sam", "sam@example.com", role_name="Signer", routing_order=2),
        ],
        docusign_template_id=nda["templateId"],
        docusign_template_name=nda["name"],
        prefill={"Company": {"company_name": "Acme Ltd"}},
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    company = envelope.recipients.get(role_name="Company")
    values = signing.tab_values(envelope=envelope, recipient=company)
    assert values["company_name"] == "Acme Ltd"


def test_templates_are_cached(simulator_connection):
    prepare.list_templates(connection=simulator_connection)
    before = ApiCall.objects.count()
    prepare.list_templates(connection=simulator_connection)
    assert ApiCall.objects.count() == before
    prepare.list_templates(connection=simulator_connection, refresh=True)
    assert ApiCall.objects.count() == before + 1


def test_embedded_signing_void_and_downloads(
    simulator_connection, sender, doc_template, client, app_signer
):
    envelope = generated(simulator_connection, sender, doc_template, subject="Agreement")
    envelope.refresh_from_db()
    first = envelope.recipients.first()
    assert first.user == app_signer  # matched by email
    with pytest.raises(PermissionDenied, match="Only Erin Embedded"):
        signing.signing_url(recipient=first, user=sender, return_url="https://app.example/")
    url = signing.signing_url(
        recipient=first, user=app_signer, return_url="https://app.example/back"
    )
    assert "/simulator/signing/" in url
    opened = envelope.events.get(kind="signing session opened")
    assert opened.actor == app_signer
    assert SimSigningSession.objects.get().recipient.name == "Erin Embedded"
    with pytest.raises(ValidationError, match="signs from DocuSign's email"):
        signing.signing_url(
            recipient=envelope.recipients.last(), user=app_signer, return_url="https://x/"
        )
    content_type, chunks = kept.download(envelope=envelope, document_id="combined")
    assert content_type == "application/pdf"
    assert b"".join(chunks).startswith(b"%PDF")
    voids.request_void(envelope=envelope, reason="Wrong company")  # the task runs inline
    assert SimEnvelope.objects.get().status == "voided"
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.VOIDED
    assert envelope.void_requested_at is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"recipients": [RecipientInput("CC", "cc@example.com", kind="carbon_copy")]},
            "at least one signer",
        ),
        ({"recipients": [RecipientInput("A", "a@example.com", routing_order=2)]}, "skip a step"),
        ({"recipients": [RecipientInput("A", "not-an-email")]}, "is not an email address"),
        (
            {
                "recipients": [
                    RecipientInput("A", "a@example.com"),
                    RecipientInput("A", "A@example.com"),
                ]
            },
            "listed twice",
        ),
        ({"template_data": {}}, "Fill in Company"),
        ({"subject": "  "}, "subject"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_is_saved(
    simulator_connection, sender, doc_template, kwargs, message
):
    args = {
        "connection": simulator_connection,
        "sender": sender,
        "subject": "S",
        "recipients": two_signers(),
        "document_template": doc_template,
        "template_data": {"company": "Acme"},
    }
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        prepare.prepare_envelope(**args)
    assert not Envelope.objects.exists()


def test_two_sources_at_once_are_refused(simulator_connection, sender, doc_template):
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    with pytest.raises(ValidationError, match="Choose one source"):
        prepare.prepare_envelope(
            connection=simulator_connection,
            sender=sender,
            subject="S",
            recipients=two_signers(),
            uploads=[pdf],
            document_template=doc_template,
            template_data={"company": "A"},
        )


def test_a_draft_opens_the_sending_view_and_can_be_sent(
    simulator_connection, sender, doc_template, client
):
    envelope = generated(simulator_connection, sender, doc_template, subject="Draft", as_draft=True)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.CREATED
    assert "/simulator/sending/" in signing.sending_url(envelope=envelope, return_url="https://x/")
    signing.send_draft(envelope=envelope)
    assert SimEnvelope.objects.get().status == "sent"
    assert envelope.recipients.first().status == "sent"
    with pytest.raises(ValidationError, match="not a draft"):
        signing.send_draft(envelope=envelope)


def test_refresh_applies_docusigns_status_without_going_backwards(
    simulator_connection, sender, doc_template
):
    envelope = generated(simulator_connection, sender, doc_template, subject="S")
    envelope.refresh_from_db()
    SimEnvelope.objects.update(status="voided")
    assert signing.refresh_from_docusign(envelope=envelope)
    assert envelope.status == Envelope.Status.VOIDED
    SimEnvelope.objects.update(status="sent")  # an older view must not undo a final status
    assert not signing.refresh_from_docusign(envelope=envelope)
    assert envelope.status == Envelope.Status.VOIDED


def test_revoked_consent_shows_on_the_connection_when_a_send_waits(
    simulator_connection, sender, doc_template
):
    from connections.models import Connection
    from simulator.models import SimConsent

    SimConsent.objects.all().delete()  # the user withdrew consent at DocuSign
    envelope = generated(simulator_connection, sender, doc_template, subject="S")
    envelope.refresh_from_db()
    simulator_connection.refresh_from_db()
    assert envelope.status == Envelope.Status.QUEUED  # waits for consent
    assert "consent_required" in envelope.waiting_reason
    assert simulator_connection.status == Connection.Status.AWAITING_CONSENT
    assert "consent link" in simulator_connection.last_error_detail
