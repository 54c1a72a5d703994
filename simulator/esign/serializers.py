"""Envelopes, recipients and templates as DocuSign's GET answers and Connect messages show them.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/get/
"""

from collections.abc import Set as AbstractSet
from typing import Any

from simulator.esign.wire import ds_date
from simulator.models import SimEnvelope, SimRecipient, SimTemplate

RECIPIENT_KINDS = {
    "signers": "signer",
    "carbonCopies": "carboncopy",
    "certifiedDeliveries": "certifieddelivery",
    "inPersonSigners": "inpersonsigner",
    "agents": "agent",
    "editors": "editor",
}


def envelope_json(envelope: SimEnvelope, include: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """GET envelope's answer: the keys and constant flags of DocuSign's own example."""
    uri = f"/envelopes/{envelope.envelope_id}"
    data: dict[str, Any] = {
        "allowMarkup": "false",
        "allowReassign": "true",
        "autoNavigation": "true",
        "certificateUri": f"{uri}/documents/certificate",
        "createdDateTime": ds_date(envelope.created),
        "customFieldsUri": f"{uri}/custom_fields",
        "documentsCombinedUri": f"{uri}/documents/combined",
        "documentsUri": f"{uri}/documents",
        "emailBlurb": envelope.email_blurb,
        "emailSubject": envelope.email_subject,
        "enableWetSign": "true",
        "envelopeId": envelope.envelope_id,
        "envelopeIdStamping": "true",
        "envelopeLocation": "current_site",
        "envelopeUri": uri,
        "is21CFRPart11": "false",
        "isSignatureProviderEnvelope": "false",
        "lastModifiedDateTime": ds_date(envelope.status_changed),
        "notificationUri": f"{uri}/notification",
        "purgeState": "unpurged",
        "recipientsUri": f"{uri}/recipients",
        "sender": {
            "userName": envelope.sender.name,
            "userId": envelope.sender.user_id,
            "accountId": envelope.account.account_id,
            "email": envelope.sender.email,
        },
        "signerCanSignOnMobile": "true",
        "status": envelope.status,
        "statusChangedDateTime": ds_date(envelope.status_changed),
        "templatesUri": f"{uri}/templates",
    }
    if envelope.sent:
        data["initialSentDateTime"] = ds_date(envelope.sent)
    _add_dates(data, envelope, ["sent", "delivered", "completed", "declined", "voided"])
    if envelope.expires:  # initialSentDateTime + the notification's expireAfter
        data["expireDateTime"] = ds_date(envelope.expires)
    if envelope.voided_reason:
        data["voidedReason"] = envelope.voided_reason
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
    if recipient.identity_verification:
        data["identityVerification"] = recipient.identity_verification
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


TEMPLATE_INCLUDE = ("powerforms", "tabs", "documents", "favorite_template_status")


def template_json(
    template: SimTemplate, *, full: bool = False, include: AbstractSet[str] = frozenset()
) -> dict[str, Any]:
    """A template as listed, or (`full`) as GET templates/{id} answers: its recipients, with
    their tabs when `include` has `tabs`, and its documents when it has `documents`."""
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
        data["recipients"] = template_recipients_json(template, include_tabs="tabs" in include)
    if full and "documents" in include:
        data["documents"] = [
            {
                "documentId": d["documentId"],
                "name": d["name"],
                "order": str(i),
                "uri": f"/templates/{template.template_id}/documents/{d['documentId']}",
            }
            for i, d in enumerate(template.documents, start=1)
        ]
    return data


TEMPLATE_RECIPIENT_KINDS = tuple(RECIPIENT_KINDS)


def template_recipients_json(template: SimTemplate, *, include_tabs: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {kind: [] for kind in TEMPLATE_RECIPIENT_KINDS}
    for i, role in enumerate(template.roles, start=1):
        kind = str(role.get("recipientType") or "signers")
        item: dict[str, Any] = {
            "roleName": role["roleName"],
            "recipientId": str(role.get("recipientId", i)),
            "recipientType": RECIPIENT_KINDS[kind],
            "routingOrder": str(role.get("routingOrder", 1)),
        }
        if include_tabs:
            item["tabs"] = role.get("tabs") or {}
        data[kind].append(item)
    data["recipientCount"] = str(len(template.roles))
    return data


def template_document_tabs(template: SimTemplate, document_id: str) -> dict[str, Any] | None:
    doc = next((d for d in template.documents if str(d["documentId"]) == document_id), None)
    return None if doc is None else dict(doc.get("tabs") or {})
