"""Envelope use cases, usable from our pages and from any other app's Python code."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from common.dispatch import enqueue_on_commit
from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign import esignature
from connections.docusign.errors import ConnectionNotReady, DocuSignError
from connections.models import Connection
from connections.schedules import Schedule
from connections.selectors import usable_connections
from connections.services import get_client, is_connection_problem
from envelopes.composing import template_tabs
from envelopes.composing.generation import clean_data
from envelopes.composing.signers import check_choosable
from envelopes.documents import kept as documents
from envelopes.documents.uploads import check_uploads
from envelopes.failures import show_failure
from envelopes.history import record_event
from envelopes.models import (
    Document,
    DocumentTemplate,
    Envelope,
    EnvelopeEvent,
    Recipient,
    SignedDocument,
)
from envelopes.sending import waiting
from envelopes.sending.create import (
    mark_first_routing_order_sent,
    send_envelope,
)
from envelopes.sending.definitions import docusign_host
from envelopes.sending.recipient_auth import check_authentication, parse_phone
from envelopes.tracking.drain import apply_envelope_summary

__all__ = ["record_event", "send_envelope"]  # re-exported use cases

logger = logging.getLogger("countersign.envelopes")

TEMPLATES_CACHE_SECONDS = 600


@dataclass(frozen=True)
class RecipientInput:
    name: str
    email: str
    kind: str = Recipient.Kind.SIGNER
    routing_order: int = 1
    embedded: bool = False
    role_name: str = ""
    access_code: str = ""
    sms_phone: str = ""  # DocuSign texts a code here ("+44 7700 900123"); personal data
    user: User | None = None  # an in-app signer chosen from the users (else matched by email)


def app_user_for(email: str) -> User:
    """The one active app user with this email: an in-app signer must be someone who logs in.

    Accounts' emails are set by administrators (users cannot change their own here), so an
    account's email is the verified one."""
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    if len(users) != 1:
        why = "no account here has" if not users else "more than one account here has"
        raise ValidationError(
            f"{email} cannot sign in this app: {why} that email. Untick 'Signs here' to have "
            "DocuSign email them, or choose 'Signs in person' to host their signing yourself.",
            code="not_an_app_user",
        )
    return users[0]


def _with_chosen_user(sender: User, r: RecipientInput) -> RecipientInput:
    """A signer chosen from the users signs in the app as that user, under their email."""
    if r.user is None:
        return r
    if r.kind == Recipient.Kind.IN_PERSON:
        raise ValidationError(
            "An in-person signer is hosted by you: type their name instead of choosing a user.",
            code="in_person_user",
        )
    user = check_choosable(sender, r.user)
    return replace(
        r,
        name=r.name.strip() or user.get_full_name() or user.get_username(),
        email=user.email,
        embedded=True,
    )


def _check_recipients(recipients: list[RecipientInput], *, from_template: bool) -> None:
    if not any(r.kind in (Recipient.Kind.SIGNER, Recipient.Kind.IN_PERSON) for r in recipients):
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
    for r in recipients:
        check_authentication(
            name=r.name,
            kind=r.kind,
            access_code=r.access_code,
            sms_phone=r.sms_phone,
            from_template=from_template,
        )
    if from_template and any(not r.role_name for r in recipients):
        raise ValidationError("Assign every recipient to a template role.", code="role")
    emails = [(r.email.lower(), r.role_name) for r in recipients]
    if len(emails) != len(set(emails)):
        raise ValidationError("The same person is listed twice.", code="duplicate")


def check_can_send(connection: Connection) -> None:
    """Refuse, before anything is queued, a connection that cannot send yet."""
    if not connection.is_ready:
        raise ValidationError(
            f"The connection {connection.name!r} is not set up yet: {ConnectionNotReady.advice}",
            code="connection",
        )
    if connection.status == Connection.Status.AWAITING_CONSENT:
        raise ValidationError(
            f"The connection {connection.name!r} is waiting for the DocuSign user's consent; "
            "sending would fail. Ask the user to grant consent (the connection's page has the "
            "link), then send again.",
            code="connection",
        )


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
    role_tabs: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
    sender_tabs: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
    as_draft: bool = False,
    team: Team | None = None,
) -> Envelope:
    """Save the envelope (status `queued`) and send it from a worker once committed.

    An in-app signer must be an app user (matched by email); an in-person signer is hosted by
    the sender. The sender must be allowed to use the connection, and to send for the team."""
    if not usable_connections(sender).filter(pk=connection.pk).exists():
        raise PermissionDenied(f"{sender} may not send with the connection {connection.name}.")
    if team is not None and not team.members.filter(pk=sender.pk).exists():
        raise PermissionDenied(f"{sender} is not a member of the team {team.name}.")
    check_can_send(connection)
    sources = [bool(uploads), document_template is not None, bool(docusign_template_id)]
    if sum(sources) != 1:
        raise ValidationError(
            "Choose one source: uploaded documents, a document template, or a DocuSign template.",
            code="source",
        )
    if not subject.strip():
        raise ValidationError("Give the envelope a subject (it is the email's subject).")
    recipients, signers = checked_recipients(
        sender, recipients, from_template=bool(docusign_template_id), connection=connection
    )
    checked = check_uploads(uploads or [])
    data: dict[str, Any] = {}
    if document_template is not None:
        data = clean_data(document_template, template_data or {})
    if prefill:
        data["prefill"] = prefill  # text tabs by role and label
    if role_tabs:
        data["tabs"] = role_tabs  # DocuSign-shaped tabs by role (envelopes.composing.template_tabs)
    if sender_tabs:
        data["sender_tabs"] = sender_tabs  # the sender's prefill tabs by document
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
        team=team,
        document_template=document_template,
        template_data=data,
        docusign_template_id=docusign_template_id,
        docusign_template_name=docusign_template_name,
        # Reminders and expiry: the connection's defaults (changeable on the envelope's page).
        **Schedule.of(connection).as_payload(),
    )
    add_recipients(envelope, recipients, signers)
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
    logger.info("Envelope %s queued for sending through %s", envelope.pk, connection.name)
    enqueue_on_commit("envelopes.tasks.send_envelope", str(envelope.pk))
    return envelope


def checked_recipients(
    sender: User,
    recipients: list[RecipientInput],
    *,
    from_template: bool,
    connection: Connection,
) -> tuple[list[RecipientInput], dict[int, User]]:
    """The recipients, checked, and the app user of each in-app signer (by position).
    Raises ValidationError saying what is wrong."""
    recipients = [_with_chosen_user(sender, r) for r in recipients]
    _check_recipients(recipients, from_template=from_template)
    if any(r.kind == Recipient.Kind.IN_PERSON for r in recipients):
        check_in_person_host(connection)
    signers = {
        i: r.user or app_user_for(r.email)
        for i, r in enumerate(recipients)
        if r.embedded and r.kind != Recipient.Kind.IN_PERSON
    }
    return recipients, signers


def check_in_person_host(connection: Connection) -> None:
    """DocuSign's in-person host is the connection's DocuSign user: refuse in-person signing
    until the check has read who that is (see definitions.docusign_host)."""
    try:
        docusign_host(connection)
    except ValueError as exc:
        raise ValidationError(str(exc), code="host_unknown") from None


def add_recipients(
    envelope: Envelope, recipients: list[RecipientInput], signers: dict[int, User]
) -> None:
    """Save checked recipients (see checked_recipients), numbered from 1 as DocuSign's IDs."""
    sender = envelope.sender
    for number, r in enumerate(recipients, start=1):
        in_person = r.kind == Recipient.Kind.IN_PERSON
        Recipient.objects.create(
            envelope=envelope,
            kind=r.kind,
            name=r.name.strip(),
            email=r.email.strip(),
            routing_order=r.routing_order,
            embedded=r.embedded or in_person,
            user=signers.get(number - 1),
            host=sender if in_person else None,
            role_name=r.role_name,
            access_code=r.access_code.strip(),
            sms_phone=str(parse_phone(r.sms_phone)) if r.sms_phone else "",
            recipient_id=str(number),
        )


# DocuSign voids only envelopes still out for signature: not drafts, not finished ones.
VOIDABLE = Envelope.OUT_FOR_SIGNATURE


def may_void(envelope: Envelope) -> bool:
    return envelope.status in VOIDABLE


def request_void(*, envelope: Envelope, reason: str) -> None:
    """Ask for a void: recorded now, done by a worker (retried by the sweep if it is lost)."""
    if not may_void(envelope):
        raise ValidationError("Only envelopes that are out for signature can be voided.")
    if not reason.strip():
        raise ValidationError("Say why the envelope is voided: recipients see the reason.")
    envelope.void_requested_at = timezone.now()
    envelope.voided_reason = reason.strip()[:200]
    envelope.error_code = envelope.error_detail = ""
    envelope.save()
    record_event(envelope, "void-requested", reason)
    enqueue_on_commit("envelopes.tasks.void_envelope", str(envelope.pk))


def void_envelope(*, envelope_id: str) -> Envelope:
    """Void at DocuSign what was asked for. A request is never dropped: retryable errors raise
    (the task retries, then the sweep); a problem of the connection keeps it waiting for the
    connection (envelopes.sending.waiting); only DocuSign's refusal about the envelope itself ends
    it, with the failure on the page, in the history and by email."""
    envelope = Envelope.objects.select_related("connection", "sender").get(pk=envelope_id)
    if envelope.void_requested_at is None or envelope.status not in VOIDABLE:
        return envelope
    try:
        esignature.void_envelope(
            get_client(envelope.connection), envelope.docusign_envelope_id, envelope.voided_reason
        )
    except DocuSignError as exc:
        if is_connection_problem(exc):
            return _void_waits(envelope, exc)
        if exc.retryable:
            raise
        if exc.error_code == "ENVELOPE_CANNOT_VOID_INVALID_STATE":
            _learn_status(envelope)  # e.g. completed meanwhile, or voided by a lost attempt
        void_failed(envelope, exc)
        return envelope
    envelope.status, envelope.void_requested_at = Envelope.Status.VOIDED, None
    envelope.waiting_since, envelope.waiting_reason = None, ""
    envelope.save()
    record_event(envelope, "voided", envelope.voided_reason)
    return envelope


def _void_waits(envelope: Envelope, error: DocuSignError) -> Envelope:
    """The void stays requested, without a task, until the connection works again."""
    was_waiting = envelope.waiting_since is not None
    envelope.waiting_since = envelope.waiting_since or timezone.now()
    envelope.waiting_reason = waiting.reason(envelope.connection, error)
    Envelope.objects.filter(pk=envelope.pk).update(
        waiting_since=envelope.waiting_since, waiting_reason=envelope.waiting_reason
    )
    if not was_waiting:
        record_event(envelope, "waiting", envelope.waiting_reason)
    waiting.start_waiting(connection=envelope.connection, error=error, sender=envelope.sender)
    return envelope


def _learn_status(envelope: Envelope) -> None:
    try:
        refresh_from_docusign(envelope=envelope)
    except DocuSignError as exc:
        logger.warning("Could not refresh envelope %s after a refused void: %s", envelope.pk, exc)
    envelope.refresh_from_db()


def void_failed(envelope: Envelope, error: DocuSignError) -> None:
    """The void request ends: done already, or shown as failed with DocuSign's reason."""
    envelope.void_requested_at = envelope.waiting_since = None
    envelope.waiting_reason = ""
    envelope.save(
        update_fields=["void_requested_at", "waiting_since", "waiting_reason", "updated_at"]
    )
    if envelope.status == Envelope.Status.VOIDED:
        record_event(envelope, "voided", "DocuSign had already voided the envelope.")
        return
    show_failure(envelope, kind="void-failed", what="Voiding at DocuSign failed", error=error)


def stored_documents(envelope: Envelope) -> list[SignedDocument]:
    """The signed documents kept for a completed envelope (none before completion)."""
    if envelope.status != Envelope.Status.COMPLETED or not envelope.docusign_envelope_id:
        return []
    return list(
        SignedDocument.objects.filter(
            connection_id=envelope.connection_id,
            docusign_envelope_id=envelope.docusign_envelope_id.lower(),
        )
    )


def keep_signed_documents(*, envelope: Envelope) -> int:
    """Keep a completed envelope's signed documents with the certificate; DocuSign calls
    spent: 0 when they are already kept (e.g. from Connect), else 1 (the combined PDF with
    the certificate of completion, in one request)."""
    if stored_documents(envelope):
        return 0
    _fetch_and_keep(envelope, COMBINED, interactive=False)
    return 1


COMBINED = "combined"


def _fetch_and_keep(
    envelope: Envelope, document_id: str, *, interactive: bool
) -> SignedDocument | None:
    params = {"certificate": "true"} if document_id == COMBINED else None
    _, chunks = esignature.download_document(
        get_client(envelope.connection, interactive=interactive),
        envelope.docusign_envelope_id,
        document_id,
        params=params,
    )
    names = {COMBINED: "Signed documents with certificate.pdf", "certificate": "Certificate.pdf"}
    return documents.keep(
        connection_id=envelope.connection_id,
        docusign_envelope_id=envelope.docusign_envelope_id,
        document_id=document_id,
        name=names.get(document_id, f"Document {document_id}.pdf"),
        kind="summary" if document_id == "certificate" else "content",
        chunks=chunks,
        source=SignedDocument.Source.DOWNLOAD,
    )


def download(*, envelope: Envelope, document_id: str) -> tuple[str, Iterator[bytes]]:
    """A document, `combined` or `certificate`. A completed envelope's are served from our
    storage (fetched once if not kept yet); any other envelope's are streamed from DocuSign,
    since they can still change."""
    if envelope.status != Envelope.Status.COMPLETED:
        return esignature.download_document(
            get_client(envelope.connection, interactive=True),
            envelope.docusign_envelope_id,
            document_id,
        )
    kept = next((d for d in stored_documents(envelope) if d.document_id == document_id), None)
    if kept is None:
        _fetch_and_keep(envelope, document_id, interactive=True)
        kept = next(d for d in stored_documents(envelope) if d.document_id == document_id)
    return "application/pdf", documents.read_decrypted(kept)


def signing_url(*, recipient: Recipient, user: User, return_url: str) -> str:
    """Open a signing session for the signer it belongs to, and record who opened it.

    An in-app signer's session opens only for that app user; an in-person signer's only for
    their host. DocuSign records that we authenticated them by password (our login)."""
    envelope = recipient.envelope
    if not recipient.embedded:
        raise ValidationError(f"{recipient.name} signs from DocuSign's email, not here.")
    owner = recipient.host_id if recipient.kind == Recipient.Kind.IN_PERSON else recipient.user_id
    if owner is None or owner != user.pk:
        raise PermissionDenied(f"Only {recipient.name} can open this signing session.")
    waiting_for = not_yet_their_turn(recipient)
    if waiting_for and refresh_from_docusign(envelope=envelope):
        # What we last heard may be behind DocuSign (one GET): the turn may have come.
        recipient.refresh_from_db()
        waiting_for = not_yet_their_turn(recipient)
    if waiting_for:
        raise NotTheirTurn(waiting_for)
    if recipient.kind == Recipient.Kind.IN_PERSON:
        # DocuSign opens an in-person session for its host as named in the envelope: the
        # connection's DocuSign user (the app user who hosts is recorded below).
        try:
            host_name, host_email = docusign_host(envelope.connection)
        except ValueError as exc:
            raise ValidationError(str(exc), code="host_unknown") from None
        identity = {"userName": host_name, "email": host_email}
    else:
        identity = {
            "clientUserId": recipient.client_user_id,
            "userName": recipient.name,
            "email": recipient.email,
        }
    url = esignature.recipient_view(
        get_client(envelope.connection, interactive=True),
        envelope.docusign_envelope_id,
        recipient={**identity, "recipientId": recipient.recipient_id},
        return_url=return_url,
        authentication_method="Password",
    )
    record_event(
        envelope,
        "signing session opened",
        f"{user.get_username()} opened the signing session of {recipient.name}.",
        actor=user,
    )
    return url


class NotTheirTurn(Exception):
    """A signing session asked for before the recipient's routing order is current."""

    def __init__(self, waiting_for: list[Recipient]) -> None:
        self.waiting_for = waiting_for
        super().__init__(waiting_message(waiting_for))


# Recipients whose turn has come: their routing order is the current one, or past it.
_TURN_COME = {"sent", "delivered", "completed", "signed", "declined", "autoresponded"}
_DONE = {"completed", "signed", "declined"}


def not_yet_their_turn(recipient: Recipient) -> list[Recipient]:
    """Who must still act before `recipient` (earlier routing orders not done), as we last
    heard from DocuSign; empty when it is their turn. DocuSign routes in order, so a
    recipient whose own status shows they were sent the envelope is never held back."""
    if recipient.status in _TURN_COME:
        return []
    return list(
        recipient.envelope.recipients.filter(routing_order__lt=recipient.routing_order)
        .exclude(status__in=_DONE)
        .exclude(kind__in=[Recipient.Kind.CARBON_COPY])
        .order_by("routing_order", "recipient_id")
    )


def waiting_message(waiting_for: list[Recipient]) -> str:
    people = ", ".join(f"{r.name} (routing order {r.routing_order})" for r in waiting_for)
    verb = "to sign" if len(waiting_for) == 1 else "to act"
    return f"Waiting for {people} {verb}."


def tab_values(*, envelope: Envelope, recipient: Recipient) -> dict[str, str]:
    """What the recipient filled in, by tab label."""
    tabs = esignature.recipient_tabs(
        get_client(envelope.connection), envelope.docusign_envelope_id, recipient.recipient_id
    )
    return template_tabs.filled_values(tabs)


def list_templates(*, connection: Connection, refresh: bool = False) -> list[dict[str, Any]]:
    """DocuSign templates of the connection's account, cached for ten minutes."""
    key = f"envelopes:templates:{connection.pk}:{connection.account_id}"
    templates = None if refresh else _cached(key)
    if templates is None:
        templates = [
            {
                "templateId": t["templateId"],
                "name": t.get("name", ""),
                "description": t.get("description", ""),
            }
            for t in esignature.list_templates(get_client(connection))
        ]
        _cache(key, templates)
    return list(templates)


def template_roles(
    *, connection: Connection, template_id: str, refresh: bool = False
) -> list[dict[str, Any]]:
    """Each role of a template, of every recipient type (signers, carbon copies, in-person
    signers, agents, …: each needs someone), with its kind, routing order and the labels of
    its text tabs, in routing order."""
    key = f"envelopes:template-roles:v2:{connection.pk}:{template_id}"
    roles = None if refresh else _cached(key)
    if roles is None:
        recipients = esignature.template_recipients(get_client(connection), template_id)
        roles = [
            {
                "roleName": r.get("roleName", ""),
                "kind": str(kind),
                "recipientId": str(r.get("recipientId") or ""),
                "routingOrder": int(r.get("routingOrder") or 1),
                "textTabs": [t.get("tabLabel") for t in (r.get("tabs") or {}).get("textTabs", [])],
            }
            for kind, collection in Recipient.DOCUSIGN_LISTS.items()
            for r in recipients.get(collection) or []
            if isinstance(r, dict)
        ]
        roles.sort(key=lambda r: (r["routingOrder"], int(r["recipientId"] or 0)))
        _cache(key, roles)
    return list(roles)


def _cached(key: str) -> Any:
    """A cache read that survives Redis being down (a miss: ask DocuSign)."""
    try:
        return cache.get(key)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cache unavailable (%s); reading from DocuSign", type(exc).__name__)
        return None


def _cache(key: str, value: Any) -> None:
    try:
        cache.set(key, value, TEMPLATES_CACHE_SECONDS)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cache unavailable (%s); not cached", type(exc).__name__)


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
    if envelope.is_outside:
        raise ValidationError("This draft was made outside Countersign: prepare it at DocuSign.")
    return esignature.sender_view(
        get_client(envelope.connection), envelope.docusign_envelope_id, return_url=return_url
    )


def send_draft(*, envelope: Envelope) -> None:
    if envelope.status != Envelope.Status.CREATED:
        raise ValidationError("This envelope is not a draft.")
    if envelope.is_outside:
        raise ValidationError("This draft was made outside Countersign: send it from DocuSign.")
    esignature.send_draft(get_client(envelope.connection), envelope.docusign_envelope_id)
    envelope.status, envelope.sent_at = Envelope.Status.SENT, timezone.now()
    envelope.save()
    mark_first_routing_order_sent(envelope)
    record_event(envelope, "sent", "The draft was sent.")
