"""Envelopes in the simulator: create one from an envelope definition, find one by ID.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
"""

import base64
import binascii
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from simulator.esign import identity, lifecycle, notifications, template_tabs
from simulator.esign.documents import document_text
from simulator.esign.serializers import RECIPIENT_KINDS
from simulator.esign.wire import ApiError
from simulator.models import (
    SimAccount,
    SimDocument,
    SimEnvelope,
    SimRecipient,
    SimTemplate,
    SimUser,
)

ACCESS_CODE_FORBIDDEN = set("<>&#")
MAX_RECIPIENTS = 100


def _invalid(message: str, code: str = "INVALID_REQUEST_BODY") -> ApiError:
    return ApiError(code, message)


def find_envelope(account: SimAccount, envelope_id: str) -> SimEnvelope:
    """The account's envelope with that ID, or DocuSign's error for an unknown one."""
    envelope = SimEnvelope.objects.filter(account=account, envelope_id=envelope_id.lower()).first()
    if envelope is None:
        # DocuSign answers 400 (not 404) for an envelope it does not know (FACTS §5.10).
        raise ApiError(
            "ENVELOPE_DOES_NOT_EXIST",
            "The envelope specified either does not exist or you have no rights to it.",
        )
    return envelope


@transaction.atomic
def create_envelope(*, account: SimAccount, sender: SimUser, body: dict[str, Any]) -> SimEnvelope:
    status = str(body.get("status") or "created").lower()
    if status not in ("created", "sent"):
        raise _invalid(f"status must be 'created' or 'sent', not '{status}'.")
    subject = str(body.get("emailSubject") or "")
    if len(subject) > 100:
        raise _invalid("The email subject is longer than 100 characters.", "EMAIL_SUBJECT_TOO_LONG")
    template = None
    if body.get("templateId"):
        template = SimTemplate.objects.filter(
            account=account, template_id=str(body["templateId"]).lower()
        ).first()
        if template is None:
            raise ApiError("TEMPLATE_ID_INVALID", "Invalid template ID.")
        subject = subject or template.email_subject
    if status == "sent" and not subject:
        raise _invalid("An emailSubject is required to send an envelope.", "EMAIL_SUBJECT_REQUIRED")
    fields = (body.get("customFields") or {}).get("textCustomFields") or []
    envelope = SimEnvelope.objects.create(
        account=account,
        sender=sender,
        status="created",
        email_subject=subject,
        email_blurb=str(body.get("emailBlurb") or ""),
        template=template,
        custom_fields={str(f.get("name")): str(f.get("value", "")) for f in fields},
        event_notification=body.get("eventNotification") or {},
        notification=notifications.normalized(body.get("notification")),
    )
    docs = template.documents if template else body.get("documents") or []
    for order, doc in enumerate(docs, start=1):
        _add_document(envelope, doc, order, from_template=template is not None)
    if template is not None:
        _add_template_roles(envelope, template, body.get("templateRoles") or [])
    else:
        _add_recipients(envelope, body.get("recipients") or {})
    _check_anchors(envelope)
    if status == "sent":
        if not envelope.documents.exists():
            raise _invalid(
                "An envelope needs at least one document to be sent.", "ENVELOPE_HAS_NO_DOCUMENTS"
            )
        if not envelope.recipients.exists():
            raise _invalid(
                "An envelope needs at least one recipient to be sent.", "ENVELOPE_HAS_NO_RECIPIENTS"
            )
        lifecycle.send(envelope)
    return envelope


def _add_document(envelope: SimEnvelope, doc: Any, order: int, *, from_template: bool) -> None:
    if not isinstance(doc, dict):
        raise _invalid("Each document must be an object.")
    if from_template:
        content = str(doc.get("content", "")).encode()
    else:
        try:
            content = base64.b64decode(str(doc.get("documentBase64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(f"Document '{doc.get('name')}' has invalid documentBase64.") from None
        if not content:
            raise _invalid(f"Document '{doc.get('name')}' has no documentBase64 content.")
    if not doc.get("documentId") or not doc.get("name"):
        raise _invalid("Each document needs a documentId and a name.")
    SimDocument.objects.create(
        envelope=envelope,
        document_id=str(doc["documentId"]),
        name=str(doc["name"]),
        file_extension=str(doc.get("fileExtension") or "pdf").lower(),
        content=content,
        order=int(doc.get("order") or order),
        # The sender's own (prefill) tabs come with a template's documents.
        tabs=template_tabs.with_tab_ids(doc.get("tabs") or {}) if from_template else {},
    )


def _add_recipients(envelope: SimEnvelope, recipients: Any) -> None:
    if not isinstance(recipients, dict):
        raise _invalid("recipients must be an object.")
    seen: set[str] = set()
    total = 0
    for kind in RECIPIENT_KINDS:
        for item in recipients.get(kind) or []:
            total += 1
            _add_recipient(envelope, kind, item, seen)
    if total > MAX_RECIPIENTS:
        raise _invalid(f"An envelope can have at most {MAX_RECIPIENTS} recipients.")


def _add_recipient(envelope: SimEnvelope, kind: str, item: Any, seen: set[str]) -> SimRecipient:
    if not isinstance(item, dict):
        raise _invalid("Each recipient must be an object.")
    recipient_id = str(item.get("recipientId") or "")
    if not recipient_id or recipient_id in seen:
        raise ApiError(
            "INVALID_RECIPIENT_ID",
            f"A recipient ID is missing or used twice: '{recipient_id}'.",
        )
    seen.add(recipient_id)
    host_name = host_email = ""
    if kind == "inPersonSigners":
        # DocuSign names the host, who opens the session; the signer has a name only.
        host_name, host_email = str(item.get("hostName") or ""), str(item.get("hostEmail") or "")
        if not host_name or not host_email:
            raise _invalid(
                f"In-person signer {recipient_id} needs hostName and hostEmail.",
                "INVALID_RECIPIENT_HOST",
            )
        if not item.get("signerName") or len(str(item["signerName"])) > 100:
            raise _invalid(f"In-person signer {recipient_id} needs a signerName (<= 100).")
        _check_host(envelope.account, recipient_id, host_name, host_email)
        item = {**item, "name": item["signerName"], "email": host_email}
    access_code = str(item.get("accessCode") or "")
    if len(access_code) > 50 or ACCESS_CODE_FORBIDDEN & set(access_code):
        raise _invalid(
            f"Recipient {recipient_id}: an accessCode has at most 50 characters and none of "
            "< > & #.",
            "INVALID_ACCESS_CODE",
        )
    email = str(item.get("email") or "")
    try:
        validate_email(email)
    except ValidationError:
        raise ApiError(
            "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
            "The email address for the recipient is invalid. The recipient Id follows. "
            + recipient_id,
        ) from None
    if not item.get("name"):
        raise _invalid(f"Recipient {recipient_id} needs a name.", "RECIPIENT_NAME_REQUIRED")
    try:
        routing = int(item.get("routingOrder") or 1)
    except (TypeError, ValueError):
        raise _invalid(
            f"Recipient {recipient_id} has a routingOrder that is not a number."
        ) from None
    client_user_id = str(item.get("clientUserId") or "")
    if len(client_user_id) > 100:
        raise _invalid("clientUserId is longer than 100 characters.")
    verification = identity.check(envelope.account, recipient_id, item)
    return SimRecipient.objects.create(
        envelope=envelope,
        recipient_id=recipient_id,
        kind=kind,
        name=str(item["name"]),
        email=email,
        routing_order=routing,
        client_user_id=client_user_id,
        role_name=str(item.get("roleName") or ""),
        host_name=host_name,
        host_email=host_email,
        access_code=access_code,
        identity_verification=verification,
        tabs=item.get("tabs") or {},
    )


def _check_host(account: SimAccount, recipient_id: str, name: str, email: str) -> None:
    """The host is a DocuSign user of the account, named exactly as their profile has it
    (case-sensitive; FACTS-addendum-B B6). DocuSign's code for this is unconfirmed."""
    if not account.users.filter(name=name, email=email).exists():
        raise _invalid(
            f"In-person signer {recipient_id}: the host {name} <{email}> is not a DocuSign user "
            "of this account (hostName and hostEmail must match the user's profile exactly).",
            "INVALID_RECIPIENT_HOST",
        )


def template_role_item(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """A templateRole as the recipient it fills: an in-person role's `name`/`email` are the
    host's and `inPersonSignerName` the signer's (SPEC `templateRole`)."""
    if kind != "inPersonSigners":
        return given
    return {
        **{k: v for k, v in given.items() if k not in ("name", "email", "inPersonSignerName")},
        "hostName": given.get("name"),
        "hostEmail": given.get("email"),
        "signerName": given.get("inPersonSignerName"),
    }


def _add_template_roles(envelope: SimEnvelope, template: SimTemplate, roles: Any) -> None:
    by_name = {str(r.get("roleName")): r for r in roles if isinstance(r, dict)}
    known = {str(r["roleName"]) for r in template.roles}
    unknown = set(by_name) - known
    if unknown:
        raise _invalid(
            f"templateRoles name roles the template does not have: {', '.join(sorted(unknown))}.",
            "TEMPLATE_ROLE_NOT_FOUND",
        )
    missing = known - set(by_name)
    if missing:
        raise _invalid(
            f"Every template role must be assigned; missing: {', '.join(sorted(missing))}.",
            "TEMPLATE_ROLE_MISSING",
        )
    seen: set[str] = set()
    for role in template.roles:
        given = by_name[str(role["roleName"])]
        tabs = template_tabs.fill(
            role.get("tabs") or {}, given.get("tabs") or {}, role=str(role["roleName"])
        )
        kind = str(role.get("recipientType") or "signers")
        _add_recipient(
            envelope,
            kind,
            {
                **template_role_item(kind, given),
                "recipientId": role.get("recipientId"),
                "routingOrder": given.get("routingOrder") or role.get("routingOrder"),
                "tabs": tabs,
            },
            seen,
        )


def _check_anchors(envelope: SimEnvelope) -> None:
    texts = [document_text(d) for d in envelope.documents.all()]
    for recipient in envelope.recipients.all():
        for tabs in recipient.tabs.values():
            for tab in tabs if isinstance(tabs, list) else []:
                anchor = tab.get("anchorString")
                ignore = str(tab.get("anchorIgnoreIfNotPresent", "false")).lower() == "true"
                if anchor and not ignore and not any(anchor in t for t in texts):
                    raise ApiError(
                        "ANCHOR_TAB_STRING_NOT_FOUND",
                        f"The specified Anchor Tab string was not found in the document. "
                        f"Anchor Tab String: '{anchor}'",
                    )
