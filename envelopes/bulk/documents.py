"""The draft envelope a bulk send copies: placeholder recipients, and for a generated
document, its per-row fields as locked text tabs (the only per-copy values Bulk Send fills).

Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/concepts/envelopes/bulk-send/
"""

import base64
from typing import Any

from django.utils.html import format_html

from envelopes.composing.generation import render_with
from envelopes.models import BulkBatch, Recipient
from envelopes.sending.definitions import (
    anchor_tabs,
    docusign_host,
    hidden_text_fields,
    ownership_fields,
    template_role_person,
)

PLACEHOLDER_EMAIL = "bulk-recipient@example.com"


def field_anchor(name: str) -> str:
    return f"[[cs:{name}]]"


def draft_definition(batch: BulkBatch, batch_field: str) -> dict[str, Any]:
    """A draft (status `created`) with one placeholder per role. `countersign_id` is empty
    here and set per copy; the installation id is copied to every copy as it is;
    `batch_field` carries the batch's id, to find a lost draft."""
    definition: dict[str, Any] = {
        "emailSubject": batch.subject,
        "status": "created",
        "customFields": {
            "textCustomFields": [
                *ownership_fields(""),
                *hidden_text_fields(**{batch_field: str(batch.pk)}),
            ]
        },
    }
    if batch.message:
        definition["emailBlurb"] = batch.message
    if batch.source == BulkBatch.Source.TEMPLATE:
        definition["templateId"] = batch.docusign_template_id
        in_person = any(r.get("kind") == Recipient.Kind.IN_PERSON for r in batch.roles)
        host = docusign_host(batch.connection) if in_person else ("", "")
        definition["templateRoles"] = [
            {
                "roleName": r["role"],
                **template_role_person(
                    Recipient(
                        kind=r.get("kind") or Recipient.Kind.SIGNER,
                        name=f"Bulk recipient::{r['role']}",
                        email=PLACEHOLDER_EMAIL,
                    ),
                    host,
                ),
            }
            for r in batch.roles
        ]
        return definition
    template = batch.document_template
    if template is None:
        raise ValueError(f"Bulk batch {batch.pk} has lost its document template.")
    # The field's anchor is written in white: the tab DocuSign places on it shows the value.
    html = render_with(
        template,
        {
            str(f["name"]): format_html(
                '<span style="color:#ffffff">{}</span>', field_anchor(str(f["name"]))
            )
            for f in template.fields
        },
    )
    definition["documents"] = [
        {
            "documentId": "1",
            "name": template.name,
            "fileExtension": "html",
            "documentBase64": base64.b64encode(html.encode()).decode(),
        }
    ]
    signers = []
    for number, role in enumerate(batch.roles, start=1):
        tabs: dict[str, Any] = anchor_tabs(number)
        if number == 1:
            tabs["textTabs"] = [
                {
                    "tabLabel": str(f["name"]),
                    "anchorString": field_anchor(str(f["name"])),
                    "anchorIgnoreIfNotPresent": "true",
                    "locked": "true",
                    "value": "",
                }
                for f in template.fields
            ]
        signers.append(
            {
                "recipientId": str(role["recipient_id"]),
                "routingOrder": str(role["routing_order"]),
                "roleName": role["role"],
                "name": f"Bulk recipient::{role['role']}",
                "email": PLACEHOLDER_EMAIL,
                "tabs": tabs,
            }
        )
    definition["recipients"] = {"signers": signers}
    return definition
