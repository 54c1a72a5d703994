"""eSignature operations Countersign uses, as plain functions over a DocuSignClient."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connections.docusign.client import DocuSignClient

ENVELOPE = "/envelopes/{envelopeId}"


def create_envelope(client: DocuSignClient, definition: dict[str, Any]) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
    return client.post_json("/envelopes", json=definition)


def find_envelopes(
    client: DocuSignClient, *, custom_field: str, value: str, since: datetime
) -> list[dict[str, Any]]:
    """Envelopes carrying a text custom field value, changed since `since`."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
    body = client.get_json(
        "/envelopes",
        params={"from_date": since.isoformat(), "custom_field": f"{custom_field}={value}"},
    )
    return list(body.get("envelopes") or [])


def get_envelope(client: DocuSignClient, envelope_id: str, *, include: str = "") -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/get/
    params = {"include": include} if include else None
    return client.get_json(ENVELOPE, path_params={"envelopeId": envelope_id}, params=params)


def void_envelope(client: DocuSignClient, envelope_id: str, reason: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/update/
    return client.put_json(
        ENVELOPE,
        path_params={"envelopeId": envelope_id},
        json={"status": "voided", "voidedReason": reason},
    )


def send_draft(client: DocuSignClient, envelope_id: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/update/
    return client.put_json(
        ENVELOPE, path_params={"envelopeId": envelope_id}, json={"status": "sent"}
    )


def recipient_tabs(client: DocuSignClient, envelope_id: str, recipient_id: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipienttabs/list/
    return client.get_json(
        f"{ENVELOPE}/recipients/{{recipientId}}/tabs",
        path_params={"envelopeId": envelope_id, "recipientId": recipient_id},
    )


def download_document(
    client: DocuSignClient, envelope_id: str, document_id: str
) -> tuple[str, Iterator[bytes]]:
    """(content type, chunks) of a document, `combined` or `certificate`, streamed."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/get/
    response = client.request(
        "GET",
        f"{ENVELOPE}/documents/{{documentId}}",
        path_params={"envelopeId": envelope_id, "documentId": document_id},
        stream=True,
    )
    content_type = response.headers.get("Content-Type", "application/pdf")
    return content_type, response.iter_content(chunk_size=64 * 1024)


def recipient_view(
    client: DocuSignClient, envelope_id: str, *, recipient: dict[str, str], return_url: str
) -> str:
    """A one-time embedded signing URL (valid for a few minutes)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createrecipient/
    body = {"returnUrl": return_url, "authenticationMethod": "none", **recipient}
    view = client.post_json(
        f"{ENVELOPE}/views/recipient", path_params={"envelopeId": envelope_id}, json=body
    )
    return str(view["url"])


def sender_view(client: DocuSignClient, envelope_id: str, *, return_url: str) -> str:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createsender/
    view = client.post_json(
        f"{ENVELOPE}/views/sender",
        path_params={"envelopeId": envelope_id},
        json={"returnUrl": return_url},
    )
    return str(view["url"])


def list_templates(client: DocuSignClient) -> list[dict[str, Any]]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templates/list/
    return list(client.get_json("/templates").get("envelopeTemplates") or [])


def template_recipients(client: DocuSignClient, template_id: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templaterecipients/list/
    return client.get_json(
        "/templates/{templateId}/recipients", path_params={"templateId": template_id}
    )
