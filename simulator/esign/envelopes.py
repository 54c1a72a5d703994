"""Envelopes in the simulator: create from a definition, serialise as DocuSign does.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
"""

import base64
import binascii
import html
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from simulator.esign import lifecycle
from simulator.esign.api import ApiError, ds_date
from simulator.models import (
    SimAccount,
    SimDocument,
    SimEnvelope,
    SimRecipient,
    SimTemplate,
    SimUser,
)

RECIPIENT_KINDS = {
    "signers": "signer",
    "carbonCopies": "carboncopy",
    "certifiedDeliveries": "certifieddelivery",
    "inPersonSigners": "inpersonsigner",
}
ACCESS_CODE_FORBIDDEN = set("<>&#")
MAX_RECIPIENTS = 100
_TAGS = re.compile(r"<[^>]+>")


def document_text(doc: SimDocument) -> str:
    """The readable text of a document (HTML stripped; PDF text is not extracted)."""
    raw = bytes(doc.content)
    if doc.file_extension.lower() in ("html", "htm"):
        return html.unescape(_TAGS.sub(" ", raw.decode("utf-8", "replace")))
    if doc.file_extension.lower() in ("txt", "text", "md"):
        return raw.decode("utf-8", "replace")
    return raw.decode("latin-1")


def _invalid(message: str, code: str = "INVALID_REQUEST_BODY") -> ApiError:
    return ApiError(code, message)


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
        tabs=item.get("tabs") or {},
    )


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
        tabs = _prefill(role.get("tabs") or {}, given.get("tabs") or {})
        _add_recipient(
            envelope,
            "signers",
            {
                **given,
                "recipientId": role.get("recipientId"),
                "routingOrder": given.get("routingOrder") or role.get("routingOrder"),
                "tabs": tabs,
            },
            seen,
        )


def _prefill(template_tabs: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Template tabs with values from templateRoles[].tabs matched on tabLabel."""
    values = {
        str(t.get("tabLabel")): t.get("value")
        for tab_list in given.values()
        if isinstance(tab_list, list)
        for t in tab_list
        if isinstance(t, dict)
    }
    known = {str(t.get("tabLabel")) for tabs in template_tabs.values() for t in tabs}
    unknown = set(values) - known
    if unknown:
        raise _invalid(
            f"No tab with the label(s) {', '.join(sorted(unknown))} in the template.",
            "TAB_LABEL_NOT_FOUND",
        )
    return {
        kind: [{**t, "value": values.get(str(t.get("tabLabel")), t.get("value", ""))} for t in tabs]
        for kind, tabs in template_tabs.items()
    }


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


# --- Serialisation ----------------------------------------------------------------------


def envelope_json(envelope: SimEnvelope, include: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    uri = f"/envelopes/{envelope.envelope_id}"
    data: dict[str, Any] = {
        "envelopeId": envelope.envelope_id,
        "status": envelope.status,
        "emailSubject": envelope.email_subject,
        "emailBlurb": envelope.email_blurb,
        "envelopeUri": uri,
        "documentsUri": f"{uri}/documents",
        "recipientsUri": f"{uri}/recipients",
        "customFieldsUri": f"{uri}/custom_fields",
        "createdDateTime": ds_date(envelope.created),
        "statusChangedDateTime": ds_date(envelope.status_changed),
        "lastModifiedDateTime": ds_date(envelope.status_changed),
    }
    _add_dates(data, envelope, ["sent", "delivered", "completed", "declined", "voided"])
    if envelope.voided_reason:
        data["voidedReason"] = envelope.voided_reason
    if envelope.template_id:
        data["templatesUri"] = f"{uri}/templates"
    if "recipients" in include:
        data["recipients"] = recipients_json(envelope, include_tabs="tabs" in include)
    if "custom_fields" in include:
        data["customFields"] = custom_fields_json(envelope)
    return data


def _add_dates(data: dict[str, Any], row: SimEnvelope | SimRecipient, fields: list[str]) -> None:
    """`sent` → `sentDateTime` and so on, for the timestamps that are set."""
    for field in fields:
        value = getattr(row, field)
        if value:
            data[f"{field}DateTime"] = ds_date(value)


def custom_fields_json(envelope: SimEnvelope) -> dict[str, Any]:
    return {
        "textCustomFields": [
            {"fieldId": str(i), "name": name, "value": value, "show": "true", "required": "false"}
            for i, (name, value) in enumerate(envelope.custom_fields.items(), start=1)
        ],
        "listCustomFields": [],
    }


def recipient_json(recipient: SimRecipient, *, include_tabs: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "recipientId": recipient.recipient_id,
        "recipientIdGuid": recipient.recipient_id_guid,
        "recipientType": RECIPIENT_KINDS[recipient.kind],
        "name": recipient.name,
        "email": recipient.email,
        "routingOrder": str(recipient.routing_order),
        "status": recipient.status,
    }
    if recipient.client_user_id:
        data["clientUserId"] = recipient.client_user_id
    if recipient.host_name:
        data.update(
            hostName=recipient.host_name,
            hostEmail=recipient.host_email,
            signerName=recipient.name,
        )
    if recipient.access_code:
        data["accessCode"] = ""  # DocuSign never returns the code itself
    if recipient.role_name:
        data["roleName"] = recipient.role_name
    _add_dates(data, recipient, ["sent", "delivered", "signed", "declined"])
    if recipient.declined_reason:
        data["declinedReason"] = recipient.declined_reason
    if include_tabs:
        data["tabs"] = recipient.tabs
    return data


def recipients_json(envelope: SimEnvelope, *, include_tabs: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {kind: [] for kind in RECIPIENT_KINDS}
    recipients = list(envelope.recipients.all())
    for recipient in recipients:
        data[recipient.kind].append(recipient_json(recipient, include_tabs=include_tabs))
    pending = [r.routing_order for r in recipients if r.status in ("created", "sent", "delivered")]
    data["recipientCount"] = str(len(recipients))
    data["currentRoutingOrder"] = str(min(pending) if pending else 1)
    return data


def template_json(template: SimTemplate, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "templateId": template.template_id,
        "name": template.name,
        "description": template.description,
        "emailSubject": template.email_subject,
        "shared": "true",
        "created": ds_date(template.created),
        "lastModified": ds_date(template.modified),
        "uri": f"/templates/{template.template_id}",
        "pageCount": str(len(template.documents)),
    }
    if full:
        data["recipients"] = template_recipients_json(template)
        data["documents"] = [
            {"documentId": d["documentId"], "name": d["name"], "order": str(i)}
            for i, d in enumerate(template.documents, start=1)
        ]
    return data


def template_recipients_json(template: SimTemplate) -> dict[str, Any]:
    return {
        "signers": [
            {
                "roleName": role["roleName"],
                "recipientId": str(role.get("recipientId", i)),
                "routingOrder": str(role.get("routingOrder", 1)),
                "tabs": role.get("tabs") or {},
            }
            for i, role in enumerate(template.roles, start=1)
        ],
        "carbonCopies": [],
        "certifiedDeliveries": [],
        "recipientCount": str(len(template.roles)),
    }


def now_iso() -> str:
    return ds_date(timezone.now())
