"""Envelope use cases, usable from our pages and from any other app's Python code."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from connections.docusign import esignature
from connections.docusign.errors import DocuSignError
from connections.models import Connection
from connections.services import get_client, note_failure
from envelopes.definitions import CUSTOM_FIELD, build_definition
from envelopes.generation import clean_data
from envelopes.models import (
    ConnectEvent,
    Document,
    DocumentTemplate,
    Envelope,
    EnvelopeEvent,
    Recipient,
)
from envelopes.tracking import apply_envelope_summary, request_drain
from envelopes.uploads import check_uploads

logger = logging.getLogger("countersign.envelopes")

SEND_LEASE = timedelta(minutes=5)  # a claim older than this is presumed dead
TEMPLATES_CACHE_SECONDS = 600


@dataclass(frozen=True)
class RecipientInput:
    name: str
    email: str
    kind: str = Recipient.Kind.SIGNER
    routing_order: int = 1
    embedded: bool = False
    role_name: str = ""


def _check_recipients(recipients: list[RecipientInput], *, from_template: bool) -> None:
    if not any(r.kind == Recipient.Kind.SIGNER for r in recipients):
        raise ValidationError("Add at least one signer.", code="no_signer")
    orders = sorted({r.routing_order for r in recipients})
    if orders[0] < 1:
        raise ValidationError("Routing orders start at 1.", code="routing")
    if orders != list(range(1, len(orders) + 1)):
        raise ValidationError(
            f"Routing orders {orders} skip a step: use consecutive numbers from 1.",
            code="routing",
        )
    for r in recipients:
        if not r.name.strip():
            raise ValidationError("Every recipient needs a name.", code="name")
        try:
            validate_email(r.email.strip())
        except ValidationError:
            raise ValidationError(
                f"{r.email!r} is not an email address (recipient {r.name}).", code="email"
            ) from None
    if from_template and any(not r.role_name for r in recipients):
        raise ValidationError("Assign every recipient to a template role.", code="role")
    emails = [(r.email.lower(), r.role_name) for r in recipients]
    if len(emails) != len(set(emails)):
        raise ValidationError("The same person is listed twice.", code="duplicate")


@transaction.atomic
def prepare_envelope(
    *,
    connection: Connection,
    sender: User,
    subject: str,
    recipients: list[RecipientInput],
    message: str = "",
    uploads: list[UploadedFile] | None = None,
    document_template: DocumentTemplate | None = None,
    template_data: dict[str, Any] | None = None,
    docusign_template_id: str = "",
    docusign_template_name: str = "",
    prefill: dict[str, dict[str, str]] | None = None,
    as_draft: bool = False,
) -> Envelope:
    """Save the envelope (status `queued`) and send it from a worker once committed."""
    sources = [bool(uploads), document_template is not None, bool(docusign_template_id)]
    if sum(sources) != 1:
        raise ValidationError(
            "Choose one source: uploaded documents, a document template, or a DocuSign template.",
            code="source",
        )
    if not subject.strip():
        raise ValidationError("Give the envelope a subject (it is the email's subject).")
    _check_recipients(recipients, from_template=bool(docusign_template_id))
    checked = check_uploads(uploads or [])
    data: dict[str, Any] = {}
    if document_template is not None:
        data = clean_data(document_template, template_data or {})
    if prefill:
        data["prefill"] = prefill
    envelope = Envelope.objects.create(
        connection=connection,
        sender=sender,
        subject=subject.strip()[:100],
        message=message,
        source=(
            Envelope.Source.UPLOADS
            if uploads
            else Envelope.Source.GENERATED
            if document_template
            else Envelope.Source.TEMPLATE
        ),
        as_draft=as_draft,
        document_template=document_template,
        template_data=data,
        docusign_template_id=docusign_template_id,
        docusign_template_name=docusign_template_name,
    )
    for number, r in enumerate(recipients, start=1):
        Recipient.objects.create(
            envelope=envelope,
            kind=r.kind,
            name=r.name.strip(),
            email=r.email.strip(),
            routing_order=r.routing_order,
            embedded=r.embedded,
            role_name=r.role_name,
            recipient_id=str(number),
        )
    for order, item in enumerate(checked, start=1):
        document = Document(
            envelope=envelope,
            name=item.name,
            order=order,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
        )
        document.file.save(item.name, item.upload, save=False)
        document.save()
    record_event(envelope, "queued", "Waiting for a worker to send it to DocuSign.")
    from envelopes.tasks import send_envelope as send_envelope_task

    transaction.on_commit(partial(send_envelope_task.delay, str(envelope.pk)))
    return envelope


def record_event(
    envelope: Envelope, kind: str, detail: str = "", *, source: str = EnvelopeEvent.Source.APP
) -> None:
    EnvelopeEvent.objects.create(
        envelope=envelope, kind=kind, status=envelope.status, detail=detail, source=source
    )


def _claim(envelope_id: str) -> Envelope | None:
    """Take the envelope for sending; None if another worker has it or it is done."""
    now = timezone.now()
    queued = Envelope.objects.filter(pk=envelope_id, status=Envelope.Status.QUEUED)
    abandoned = Envelope.objects.filter(
        pk=envelope_id, status=Envelope.Status.SENDING, claimed_at__lt=now - SEND_LEASE
    )
    for candidates in (queued, abandoned):
        if candidates.update(status=Envelope.Status.SENDING, claimed_at=now) == 1:
            envelope = Envelope.objects.select_related("connection").get(pk=envelope_id)
            envelope.send_attempts += 1
            envelope.save(update_fields=["send_attempts"])
            return envelope
    return None


def send_envelope(*, envelope_id: str) -> Envelope | None:
    """Create the envelope at DocuSign, exactly once.

    On a retry (after a timeout or a dead worker) it first looks for an envelope carrying our
    UUID, so a create that succeeded at DocuSign is never made twice. Retryable failures put
    the envelope back in the queue and re-raise for the task to retry; others mark it failed.
    """
    envelope = _claim(envelope_id)
    if envelope is None:
        return None
    client = get_client(envelope.connection)
    try:
        summary = None
        if envelope.send_attempts > 1:
            found = esignature.find_envelopes(
                client,
                custom_field=CUSTOM_FIELD,
                value=str(envelope.pk),
                since=envelope.created_at - timedelta(minutes=5),
            )
            summary = found[0] if found else None
        if summary is None:
            summary = esignature.create_envelope(client, build_definition(envelope))
        else:
            record_event(envelope, "recovered", "Found the envelope a previous attempt created.")
    except DocuSignError as exc:
        note_failure(connection=envelope.connection, error=exc)
        if exc.retryable:
            Envelope.objects.filter(pk=envelope.pk).update(status=Envelope.Status.QUEUED)
            record_event(envelope, "retrying", str(exc))
            raise
        envelope.status = Envelope.Status.FAILED
        envelope.error_code, envelope.error_detail = exc.error_code, exc.with_advice
        envelope.save()
        record_event(envelope, "failed", str(exc))
        return envelope
    envelope.docusign_envelope_id = str(summary["envelopeId"])
    envelope.status = str(summary.get("status") or Envelope.Status.SENT)
    envelope.sent_at = timezone.now() if envelope.status != Envelope.Status.CREATED else None
    envelope.error_code = envelope.error_detail = ""
    envelope.save()
    if envelope.status == Envelope.Status.SENT:
        _mark_first_routing_order_sent(envelope)
    record_event(envelope, envelope.status, f"DocuSign envelope {envelope.docusign_envelope_id}")
    _replay_early_connect_messages(envelope)
    return envelope


def _replay_early_connect_messages(envelope: Envelope) -> None:
    """Connect can report an envelope before we have saved its ID; apply those messages now."""
    early = ConnectEvent.objects.filter(
        connection=envelope.connection,
        docusign_envelope_id=envelope.docusign_envelope_id.lower(),
        unknown_envelope=True,
    ).update(unknown_envelope=False, processed_at=None)
    if early:
        transaction.on_commit(partial(request_drain, envelope.connection_id))


# DocuSign voids only envelopes still out for signature: not drafts, not finished ones.
VOIDABLE = Envelope.OUT_FOR_SIGNATURE


def may_void(envelope: Envelope) -> bool:
    return envelope.status in VOIDABLE


def _check_void(envelope: Envelope, reason: str) -> None:
    if not may_void(envelope):
        raise ValidationError("Only envelopes that are out for signature can be voided.")
    if not reason.strip():
        raise ValidationError("Say why the envelope is voided: recipients see the reason.")


def request_void(*, envelope: Envelope, reason: str) -> None:
    """Record the request and have a worker void the envelope at DocuSign."""
    from envelopes.tasks import void_envelope as void_task

    _check_void(envelope, reason)
    record_event(envelope, "void-requested", reason)
    transaction.on_commit(partial(void_task.delay, str(envelope.pk), reason))


def void_envelope(*, envelope: Envelope, reason: str) -> None:
    _check_void(envelope, reason)
    esignature.void_envelope(get_client(envelope.connection), envelope.docusign_envelope_id, reason)
    envelope.status, envelope.voided_reason = Envelope.Status.VOIDED, reason[:200]
    envelope.save()
    record_event(envelope, "voided", reason)


def download(*, envelope: Envelope, document_id: str) -> tuple[str, Iterator[bytes]]:
    """Stream a document, `combined` or `certificate` from DocuSign; nothing is stored."""
    return esignature.download_document(
        get_client(envelope.connection), envelope.docusign_envelope_id, document_id
    )


def signing_url(*, envelope: Envelope, recipient: Recipient, return_url: str) -> str:
    if not recipient.embedded:
        raise ValidationError(f"{recipient.name} signs from DocuSign's email, not here.")
    return esignature.recipient_view(
        get_client(envelope.connection),
        envelope.docusign_envelope_id,
        recipient={
            "clientUserId": recipient.client_user_id,
            "userName": recipient.name,
            "email": recipient.email,
            "recipientId": recipient.recipient_id,
        },
        return_url=return_url,
    )


def tab_values(*, envelope: Envelope, recipient: Recipient) -> dict[str, str]:
    """What the recipient filled in, by tab label."""
    tabs = esignature.recipient_tabs(
        get_client(envelope.connection), envelope.docusign_envelope_id, recipient.recipient_id
    )
    return {
        str(tab.get("tabLabel")): str(tab.get("value", ""))
        for items in tabs.values()
        if isinstance(items, list)
        for tab in items
        if isinstance(tab, dict) and tab.get("tabLabel")
    }


def list_templates(*, connection: Connection, refresh: bool = False) -> list[dict[str, Any]]:
    """DocuSign templates of the connection's account, cached for ten minutes."""
    key = f"envelopes:templates:{connection.pk}:{connection.account_id}"
    templates = None if refresh else cache.get(key)
    if templates is None:
        templates = [
            {
                "templateId": t["templateId"],
                "name": t.get("name", ""),
                "description": t.get("description", ""),
            }
            for t in esignature.list_templates(get_client(connection))
        ]
        cache.set(key, templates, TEMPLATES_CACHE_SECONDS)
    return list(templates)


def template_roles(
    *, connection: Connection, template_id: str, refresh: bool = False
) -> list[dict[str, Any]]:
    """Each role of a template with its routing order and the labels of its text tabs."""
    key = f"envelopes:template-roles:{connection.pk}:{template_id}"
    roles = None if refresh else cache.get(key)
    if roles is None:
        recipients = esignature.template_recipients(get_client(connection), template_id)
        roles = [
            {
                "roleName": s.get("roleName", ""),
                "routingOrder": int(s.get("routingOrder") or 1),
                "textTabs": [t.get("tabLabel") for t in (s.get("tabs") or {}).get("textTabs", [])],
            }
            for s in recipients.get("signers") or []
        ]
        cache.set(key, roles, TEMPLATES_CACHE_SECONDS)
    return list(roles)


def refresh_from_docusign(*, envelope: Envelope) -> bool:
    """One GET of the envelope with its recipients, applied (e.g. after embedded signing)."""
    if not envelope.docusign_envelope_id:
        return False
    summary = esignature.get_envelope(
        get_client(envelope.connection), envelope.docusign_envelope_id, include="recipients"
    )
    return apply_envelope_summary(envelope, summary, source=EnvelopeEvent.Source.DOCUSIGN)


def sending_url(*, envelope: Envelope, return_url: str) -> str:
    """DocuSign's sending view for a draft: place fields, then send."""
    if envelope.status != Envelope.Status.CREATED:
        raise ValidationError("Only drafts at DocuSign can be prepared in the sending view.")
    return esignature.sender_view(
        get_client(envelope.connection), envelope.docusign_envelope_id, return_url=return_url
    )


def send_draft(*, envelope: Envelope) -> None:
    if envelope.status != Envelope.Status.CREATED:
        raise ValidationError("This envelope is not a draft.")
    esignature.send_draft(get_client(envelope.connection), envelope.docusign_envelope_id)
    envelope.status, envelope.sent_at = Envelope.Status.SENT, timezone.now()
    envelope.save()
    _mark_first_routing_order_sent(envelope)
    record_event(envelope, "sent", "The draft was sent.")


def _mark_first_routing_order_sent(envelope: Envelope) -> None:
    """DocuSign sends to the first routing order at once; no extra call needed to know that."""
    first = min(r.routing_order for r in envelope.recipients.all())
    envelope.recipients.filter(routing_order=first).update(
        status=Recipient.Status.SENT, sent_at=envelope.sent_at
    )
