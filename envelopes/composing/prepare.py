"""Composing an envelope: recipients checked, documents stored, the row queued for sending
(on commit, through common.dispatch). Also the DocuSign templates a sender can choose."""

import logging
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Team
from common.cache import cache_get, cache_set
from common.dispatch import enqueue_on_commit
from connections.docusign import esignature
from connections.docusign.errors import ConnectionNotReady
from connections.models import Connection
from connections.schedules import Schedule
from connections.selectors import usable_connections
from connections.services import get_client
from envelopes.composing.generation import clean_data
from envelopes.composing.signers import check_choosable
from envelopes.documents.uploads import check_uploads
from envelopes.history import record_event
from envelopes.models import (
    Document,
    DocumentTemplate,
    Envelope,
    Recipient,
)
from envelopes.sending.definitions import docusign_host
from envelopes.sending.recipient_auth import check_authentication, parse_phone

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


ROLE_NAME_MAX = Recipient._meta.get_field("role_name").max_length or 100


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
        # Role names come from DocuSign's template: one we cannot store was a 500.
        if len(r.role_name) > ROLE_NAME_MAX or "\x00" in r.role_name:
            raise ValidationError(
                f"The template role {r.role_name[:40]!r}… cannot be used: role names must be at "
                f"most {ROLE_NAME_MAX} characters without NUL. Rename the role in the template "
                "at DocuSign.",
                code="role",
            )
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


def list_templates(*, connection: Connection, refresh: bool = False) -> list[dict[str, Any]]:
    """DocuSign templates of the connection's account, cached for ten minutes."""
    key = f"envelopes:templates:{connection.pk}:{connection.account_id}"
    templates = None if refresh else cache_get(key)
    if templates is None:
        templates = [
            {
                "templateId": t["templateId"],
                "name": t.get("name", ""),
                "description": t.get("description", ""),
            }
            for t in esignature.list_templates(get_client(connection))
        ]
        cache_set(key, templates, TEMPLATES_CACHE_SECONDS)
    return list(templates)


def template_roles(
    *, connection: Connection, template_id: str, refresh: bool = False
) -> list[dict[str, Any]]:
    """Each role of a template, of every recipient type (signers, carbon copies, in-person
    signers, agents, …: each needs someone), with its kind, routing order and the labels of
    its text tabs, in routing order."""
    key = f"envelopes:template-roles:v2:{connection.pk}:{template_id}"
    roles = None if refresh else cache_get(key)
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
        cache_set(key, roles, TEMPLATES_CACHE_SECONDS)
    return list(roles)
