"""Envelopes, their recipients, documents and history, and the rows tracking them."""

import hashlib
import uuid

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from envelopes.documents.kept import write_encrypted
from envelopes.models import (
    BulkBatch,
    ConnectEvent,
    Document,
    DocumentTemplate,
    Envelope,
    EnvelopeChange,
    EnvelopeEvent,
    Recipient,
    SignedDocument,
    SyncCursor,
)
from tests.factories.accounts import UserFactory
from tests.factories.connections import ConnectionFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docusign_id() -> str:
    return str(uuid.uuid4())


class DocumentTemplateFactory(factory.django.DjangoModelFactory):
    """A generated document without fields, with a signature anchor."""

    class Meta:
        model = DocumentTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    body = "<p>Please sign here: /sig1/</p>"
    fields = factory.LazyFunction(list)


class EnvelopeFactory(factory.django.DjangoModelFactory):
    """An envelope of uploaded documents, queued (not yet at DocuSign). Traits give the
    usual states: `sent`, `delivered`, `completed`, `declined`, `voided` (all at DocuSign,
    with its envelope ID), `failed`, and `outside` (sent outside Countersign)."""

    class Meta:
        model = Envelope

    class Params:
        at_docusign = factory.Trait(
            docusign_envelope_id=factory.LazyFunction(docusign_id),
            sent_at=factory.LazyFunction(timezone.now),
        )
        sent = factory.Trait(at_docusign=True, status=Envelope.Status.SENT)
        delivered = factory.Trait(at_docusign=True, status=Envelope.Status.DELIVERED)
        completed = factory.Trait(
            at_docusign=True,
            status=Envelope.Status.COMPLETED,
            completed_at=factory.LazyFunction(timezone.now),
        )
        declined = factory.Trait(at_docusign=True, status=Envelope.Status.DECLINED)
        voided = factory.Trait(
            at_docusign=True, status=Envelope.Status.VOIDED, voided_reason="No longer needed"
        )
        failed = factory.Trait(
            status=Envelope.Status.FAILED,
            error_code="INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
            error_detail="The email address for the recipient is invalid.",
        )
        outside = factory.Trait(
            at_docusign=True,
            status=Envelope.Status.SENT,
            source=Envelope.Source.OUTSIDE,
            sender=None,
        )

    connection = factory.SubFactory(ConnectionFactory)
    sender = factory.SubFactory(UserFactory)
    subject = "Agreement"
    source = Envelope.Source.UPLOADS
    status = Envelope.Status.QUEUED


class RecipientFactory(factory.django.DjangoModelFactory):
    """A signer, numbered after the envelope's other recipients, not sent yet. Traits:
    `sent`, `delivered`, `signed` (DocuSign reports a signer who signed as completed),
    `declined`, and `in_app` (signs inside the app as an app user with their email)."""

    class Meta:
        model = Recipient

    class Params:
        sent = factory.Trait(
            status=Recipient.Status.SENT, sent_at=factory.LazyFunction(timezone.now)
        )
        delivered = factory.Trait(
            sent=True,
            status=Recipient.Status.DELIVERED,
            delivered_at=factory.LazyFunction(timezone.now),
        )
        signed = factory.Trait(
            delivered=True,
            status=Recipient.Status.COMPLETED,
            completed_at=factory.LazyFunction(timezone.now),
        )
        declined = factory.Trait(
            sent=True,
            status=Recipient.Status.DECLINED,
            declined_at=factory.LazyFunction(timezone.now),
            declined_reason="Wrong address",
        )
        in_app = factory.Trait(
            embedded=True,
            user=factory.SubFactory(
                UserFactory,
                username=factory.SelfAttribute("..name"),
                email=factory.SelfAttribute("..email"),
            ),
        )

    envelope = factory.SubFactory(EnvelopeFactory)
    kind = Recipient.Kind.SIGNER
    name = factory.Sequence(lambda n: f"signer{n}")
    email = factory.LazyAttribute(lambda r: f"{r.name.lower().replace(' ', '.')}@example.com")
    recipient_id = factory.LazyAttribute(lambda r: str(r.envelope.recipients.count() + 1))
    routing_order = 1


class DocumentFactory(factory.django.DjangoModelFactory):
    """An uploaded document (stored encrypted, as uploads are); `content` sets its bytes."""

    class Meta:
        model = Document

    class Params:
        content = PDF

    envelope = factory.SubFactory(EnvelopeFactory)
    name = "Contract.pdf"
    order = factory.LazyAttribute(lambda d: d.envelope.documents.count() + 1)
    content_type = "application/pdf"
    file = factory.LazyAttribute(lambda d: ContentFile(d.content, name=d.name))
    size = factory.LazyAttribute(lambda d: len(d.content))
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(d.content).hexdigest())


class EnvelopeEventFactory(factory.django.DjangoModelFactory):
    """One line of an envelope's history."""

    class Meta:
        model = EnvelopeEvent

    envelope = factory.SubFactory(EnvelopeFactory)
    kind = "queued"
    status = factory.SelfAttribute("envelope.status")
    source = EnvelopeEvent.Source.APP


class EnvelopeChangeFactory(factory.django.DjangoModelFactory):
    """A resend asked for by the envelope's sender, waiting for DocuSign; `done`, `failed`."""

    class Meta:
        model = EnvelopeChange

    class Params:
        done = factory.Trait(
            status=EnvelopeChange.Status.DONE, finished_at=factory.LazyFunction(timezone.now)
        )
        failed = factory.Trait(
            status=EnvelopeChange.Status.FAILED,
            error="ENVELOPE_CANNOT_CORRECT_INVALID_STATE",
            finished_at=factory.LazyFunction(timezone.now),
        )

    envelope = factory.SubFactory(EnvelopeFactory, sent=True)
    kind = EnvelopeChange.Kind.RESEND
    actor = factory.SelfAttribute("envelope.sender")


class ConnectEventFactory(factory.django.DjangoModelFactory):
    """A verified Connect message, not applied yet; `processed` and `parked` traits."""

    class Meta:
        model = ConnectEvent

    class Params:
        processed = factory.Trait(processed_at=factory.LazyFunction(timezone.now))
        parked = factory.Trait(
            parked_at=factory.LazyFunction(timezone.now),
            failure_reason="The message names no envelope.",
        )

    connection = factory.SubFactory(ConnectionFactory)
    identity = factory.Sequence(lambda n: hashlib.sha256(f"event {n}".encode()).hexdigest())
    event = "envelope-sent"
    docusign_envelope_id = factory.LazyFunction(docusign_id)
    verified = True
    body = factory.LazyAttribute(
        lambda e: {"event": e.event, "data": {"envelopeId": e.docusign_envelope_id}}
    )


class SignedDocumentFactory(factory.django.DjangoModelFactory):
    """A kept signed document, written encrypted as envelopes.documents.kept writes them;
    `content` sets the PDF's bytes."""

    class Meta:
        model = SignedDocument

    class Params:
        content = PDF
        written = factory.LazyAttribute(lambda d: write_encrypted([d.content]))

    connection = factory.SubFactory(ConnectionFactory)
    docusign_envelope_id = factory.LazyFunction(docusign_id)
    document_id = "1"
    name = "Contract.pdf"
    kind = "content"
    file = factory.LazyAttribute(lambda d: d.written.name)
    size = factory.LazyAttribute(lambda d: d.written.size)
    sha256 = factory.LazyAttribute(lambda d: d.written.sha256)
    source = SignedDocument.Source.CONNECT


class SyncCursorFactory(factory.django.DjangoModelFactory):
    """Polling's cursor, synced up to now."""

    class Meta:
        model = SyncCursor
        django_get_or_create = ("connection",)

    connection = factory.SubFactory(ConnectionFactory)
    synced_until = factory.LazyFunction(timezone.now)


class BulkBatchFactory(factory.django.DjangoModelFactory):
    """A bulk send of a generated document, queued; `submitted`, `finished`, `failed`."""

    class Meta:
        model = BulkBatch

    class Params:
        submitted = factory.Trait(
            status=BulkBatch.Status.SUBMITTED,
            draft_envelope_id=factory.LazyFunction(docusign_id),
            list_id=factory.LazyFunction(docusign_id),
            docusign_batch_id=factory.LazyFunction(docusign_id),
            submitted_at=factory.LazyFunction(timezone.now),
        )
        finished = factory.Trait(
            submitted=True,
            status=BulkBatch.Status.FINISHED,
            sent_count=factory.SelfAttribute("size"),
            finished_at=factory.LazyFunction(timezone.now),
        )
        failed = factory.Trait(
            status=BulkBatch.Status.FAILED,
            error_code="BULK_SEND_ENVELOPE_LIST_LIMIT_EXCEEDED",
            error_detail="The list has more rows than DocuSign allows.",
            finished_at=factory.LazyFunction(timezone.now),
        )

    connection = factory.SubFactory(ConnectionFactory)
    sender = factory.SubFactory(UserFactory)
    name = "offers.csv"
    subject = "Offer"
    source = BulkBatch.Source.GENERATED
    document_template = factory.SubFactory(DocumentTemplateFactory)
    roles = factory.LazyFunction(
        lambda: [{"role": "Signer", "recipient_id": "1", "routing_order": 1, "tab_labels": []}]
    )
    size = 1
