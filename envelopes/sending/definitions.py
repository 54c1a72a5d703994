"""The DocuSign envelope definition for an Envelope row.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
"""

import base64
from typing import Any

from connections.installation import installation_id
from connections.models import Connection
from connections.schedules import Schedule
from envelopes.composing.generation import render_document
from envelopes.models import Envelope, Recipient
from envelopes.sending import sender_tabs
from envelopes.sending.recipient_auth import identity_verification

# The local UUID travels with the envelope, so a retried send can find what it created.
CUSTOM_FIELD = "countersign_id"
# Beside it, this installation's id: reconciliation acts only on envelopes carrying it (an
# account may be shared with another installation; see envelopes.sending.reconciliation).
INSTALLATION_FIELD = "countersign_installation"


def hidden_text_fields(**values: str) -> list[dict[str, str]]:
    """Envelope text custom fields, hidden from recipients and optional."""
    return [
        {"name": name, "value": value, "show": "false", "required": "false"}
        for name, value in values.items()
    ]


def ownership_fields(countersign_id: str) -> list[dict[str, str]]:
    """The fields that prove an envelope ours: the row's id and this installation's id."""
    return hidden_text_fields(
        **{CUSTOM_FIELD: countersign_id, INSTALLATION_FIELD: installation_id()}
    )


def anchor_tabs(signer_number: int) -> dict[str, list[dict[str, str]]]:
    """Signature and date at `/sigN/` and `/dateN/`, where the document has them."""
    return {
        "signHereTabs": [
            {
                "anchorString": f"/sig{signer_number}/",
                "anchorUnits": "pixels",
                "anchorYOffset": "-5",
                "anchorIgnoreIfNotPresent": "true",
                "tabLabel": f"signature_{signer_number}",
            }
        ],
        "dateSignedTabs": [
            {
                "anchorString": f"/date{signer_number}/",
                "anchorIgnoreIfNotPresent": "true",
                "tabLabel": f"date_{signer_number}",
            }
        ],
    }


HOST_UNKNOWN = (
    "In-person signing needs the name and email of the DocuSign user the connection {name!r} "
    "acts as (DocuSign's host must be that user): run the connection's check once to read them."
)


def docusign_host(connection: Connection) -> tuple[str, str]:
    """(name, email) of the in-person host DocuSign accepts: a DocuSign user of the account,
    spelled exactly as their profile has it. With JWT that is the impersonated user (the app
    user who hosted is on our Recipient row). Raises ValueError while they are not known."""
    if not (connection.user_name and connection.user_profile_email):
        raise ValueError(HOST_UNKNOWN.format(name=connection.name))
    return connection.user_name, connection.user_profile_email


def template_role_person(recipient: Recipient, host: tuple[str, str]) -> dict[str, str]:
    """Who fills a template role (`templateRole`): an in-person role's `name`/`email` are its
    host's, the signer's name goes in `inPersonSignerName`."""
    if recipient.kind == Recipient.Kind.IN_PERSON:
        return {"name": host[0], "email": host[1], "inPersonSignerName": recipient.name}
    return {"name": recipient.name, "email": recipient.email}


def bulk_copy_person(recipient: Recipient, host: tuple[str, str]) -> dict[str, str]:
    """Who fills a role in a bulk copy (`bulkSendingCopyRecipient`): an in-person copy names
    `hostName`/`hostEmail`/`signerName`, and the host as `name`/`email` too, since the list
    checks demand a name and email of every recipient (FACTS-addendum-B B7)."""
    if recipient.kind == Recipient.Kind.IN_PERSON:
        return {
            "hostName": host[0],
            "hostEmail": host[1],
            "signerName": recipient.name,
            "name": host[0],
            "email": host[1],
        }
    return {"name": recipient.name, "email": recipient.email}


def _recipient(
    recipient: Recipient, signer_number: int, phone_workflow_id: str, host: tuple[str, str]
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "recipientId": recipient.recipient_id,
        "routingOrder": str(recipient.routing_order),
    }
    if recipient.kind == Recipient.Kind.IN_PERSON:
        # DocuSign's host opens the session and hands over the device: the impersonated user.
        data["hostName"], data["hostEmail"] = host
        data["signerName"] = recipient.name
    else:
        data["name"], data["email"] = recipient.name, recipient.email
        if recipient.embedded:
            data["clientUserId"] = recipient.client_user_id
    if recipient.access_code:
        data["accessCode"] = recipient.access_code
    if recipient.sms_phone:
        if not phone_workflow_id:
            raise ValueError("an SMS code needs the account's Phone Authentication workflow")
        data["identityVerification"] = identity_verification(recipient.sms_phone, phone_workflow_id)
    if recipient.kind in (Recipient.Kind.SIGNER, Recipient.Kind.IN_PERSON):
        data["tabs"] = anchor_tabs(signer_number)
    return data


def _documents(envelope: Envelope) -> list[dict[str, Any]]:
    if envelope.source == Envelope.Source.GENERATED and envelope.document_template:
        html = render_document(envelope.document_template, envelope.template_data)
        return [
            {
                "documentId": "1",
                "name": envelope.document_template.name,
                "fileExtension": "html",
                "documentBase64": base64.b64encode(html.encode()).decode(),
            }
        ]
    documents = []
    for number, document in enumerate(envelope.documents.all(), start=1):
        with document.file.open("rb") as handle:
            content = handle.read()
        documents.append(
            {
                "documentId": str(number),
                "name": document.name,
                "fileExtension": document.file_extension,
                "documentBase64": base64.b64encode(content).decode(),
            }
        )
    return documents


def build_definition(envelope: Envelope, *, phone_workflow_id: str = "") -> dict[str, Any]:
    """`phone_workflow_id`: the account's Phone Authentication workflow, needed when a
    recipient has an SMS code (envelopes.sending.recipient_auth.workflow_for)."""
    definition: dict[str, Any] = {
        "emailSubject": envelope.subject,
        # The sender's own tabs are set on a draft, which is then sent (template_tabs).
        "status": Envelope.Status.CREATED
        if envelope.as_draft or sender_tabs.has_sender_tabs(envelope)
        else Envelope.Status.SENT,
        "customFields": {"textCustomFields": ownership_fields(str(envelope.pk))},
    }
    if envelope.message:
        definition["emailBlurb"] = envelope.message
    definition["notification"] = Schedule.of(envelope).to_docusign()
    recipients = list(envelope.recipients.all())
    host = ("", "")
    if any(r.kind == Recipient.Kind.IN_PERSON for r in recipients):
        host = docusign_host(envelope.connection)
    if envelope.source == Envelope.Source.TEMPLATE:
        definition["templateId"] = envelope.docusign_template_id
        definition["templateRoles"] = [
            {
                "roleName": r.role_name,
                **template_role_person(r, host),
                # An in-person session is opened by its host, never by a clientUserId.
                **(
                    {"clientUserId": r.client_user_id}
                    if r.embedded and r.kind != Recipient.Kind.IN_PERSON
                    else {}
                ),
                **({"accessCode": r.access_code} if r.access_code else {}),
                **_prefill(envelope, r),
            }
            for r in recipients
        ]
        return definition
    definition["documents"] = _documents(envelope)
    lists: dict[str, list[dict[str, Any]]] = {}
    signer_number = 0
    for recipient in recipients:
        if recipient.kind in (Recipient.Kind.SIGNER, Recipient.Kind.IN_PERSON):
            signer_number += 1
        lists.setdefault(Recipient.DOCUSIGN_LISTS[Recipient.Kind(recipient.kind)], []).append(
            _recipient(recipient, signer_number, phone_workflow_id, host)
        )
    definition["recipients"] = lists
    return definition


def _prefill(envelope: Envelope, recipient: Recipient) -> dict[str, Any]:
    tabs = sender_tabs.role_tabs(envelope, recipient.role_name)
    return {"tabs": tabs} if tabs else {}
