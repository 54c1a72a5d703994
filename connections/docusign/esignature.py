"""eSignature operations Countersign uses, as plain functions over a DocuSignClient."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connections.docusign.client import DocuSignClient
from connections.docusign.paging import pages

ENVELOPE = "/envelopes/{envelopeId}"


def identity_verification_workflows(client: DocuSignClient) -> list[dict[str, Any]]:
    """The account's identity verification workflows (Phone Authentication, IDV, …)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/identityverifications/list/
    body = client.get_json("/identity_verification")
    return list(body.get("identityVerification") or [])


def create_envelope(client: DocuSignClient, definition: dict[str, Any]) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
    return client.post_json("/envelopes", json=definition)


def find_envelopes(
    client: DocuSignClient, *, custom_field: str, value: str, since: datetime
) -> list[dict[str, Any]]:
    """Envelopes carrying a text custom field value, changed since `since`, with their custom
    fields (callers check the value themselves: a filter is not a proof)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
    body = client.get_json(
        "/envelopes",
        params={
            "from_date": since.isoformat(),
            "custom_field": f"{custom_field}={value}",
            "include": "custom_fields",
        },
    )
    return list(body.get("envelopes") or [])


def changed_envelope_pages(
    client: DocuSignClient, *, since: datetime, include: str, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Every envelope changed since `since`, a page at a time (one listStatusChanges call
    each)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
    return pages(
        client,
        "/envelopes",
        items="envelopes",
        params={"from_date": since.isoformat(), "include": include},
        page_size=page_size,
    )


def text_custom_field(summary: dict[str, Any], name: str) -> str:
    """The value of an envelope's text custom field `name` ("" when it has none)."""
    fields = (summary.get("customFields") or {}).get("textCustomFields") or []
    for field in fields:
        if isinstance(field, dict) and field.get("name") == name:
            return str(field.get("value") or "")
    return ""


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
    client: DocuSignClient,
    envelope_id: str,
    document_id: str,
    *,
    params: dict[str, str] | None = None,
) -> tuple[str, Iterator[bytes]]:
    """(content type, chunks) of a document, `combined` or `certificate`, streamed."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/get/
    return _stream(
        client,
        f"{ENVELOPE}/documents/{{documentId}}",
        path_params={"envelopeId": envelope_id, "documentId": document_id},
        params=params,
    )


def _stream(
    client: DocuSignClient,
    path: str,
    *,
    path_params: dict[str, str],
    params: dict[str, str] | None = None,
) -> tuple[str, Iterator[bytes]]:
    """(content type, 64 KiB chunks) of a file DocuSign streams (a PDF unless it says)."""
    response = client.request("GET", path, path_params=path_params, params=params, stream=True)
    content_type = response.headers.get("Content-Type", "application/pdf")
    return content_type, response.iter_content(chunk_size=64 * 1024)


def recipient_view(
    client: DocuSignClient,
    envelope_id: str,
    *,
    recipient: dict[str, str],
    return_url: str,
    authentication_method: str = "none",
) -> str:
    """A one-time embedded signing URL (valid for a few minutes).

    `authentication_method` is our claim of how we authenticated the signer; DocuSign records
    it in the certificate of completion."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createrecipient/
    body = {"returnUrl": return_url, "authenticationMethod": authentication_method, **recipient}
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
        "/templates/{templateId}/recipients",
        path_params={"templateId": template_id},
        params={"include_tabs": "true"},
    )


TEMPLATE = "/templates/{templateId}"


def get_template(client: DocuSignClient, template_id: str, *, include: str = "") -> dict[str, Any]:
    """A template with its recipients (and their tabs with `include="tabs"`, its documents
    with `include="documents"`); `lastModified` says which version this is."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templates/get/
    params = {"include": include} if include else None
    return client.get_json(TEMPLATE, path_params={"templateId": template_id}, params=params)


def template_document_tabs(
    client: DocuSignClient, template_id: str, document_id: str
) -> dict[str, Any]:
    """The tabs placed on a template's document, the sender's own `prefillTabs` among them."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templatedocumenttabs/get/
    return client.get_json(
        f"{TEMPLATE}/documents/{{documentId}}/tabs",
        path_params={"templateId": template_id, "documentId": document_id},
    )


def template_document(
    client: DocuSignClient, template_id: str, document_id: str
) -> tuple[str, Iterator[bytes]]:
    """(content type, chunks) of a template's document as DocuSign renders it (a PDF)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templatedocuments/get/
    return _stream(
        client,
        f"{TEMPLATE}/documents/{{documentId}}",
        path_params={"templateId": template_id, "documentId": document_id},
    )


def document_tabs(client: DocuSignClient, envelope_id: str, document_id: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocumenttabs/get/
    return client.get_json(
        f"{ENVELOPE}/documents/{{documentId}}/tabs",
        path_params={"envelopeId": envelope_id, "documentId": document_id},
    )


def update_document_tabs(
    client: DocuSignClient, envelope_id: str, document_id: str, tabs: dict[str, Any]
) -> dict[str, Any]:
    """Set values of a draft's document tabs (by `tabId`), e.g. the sender's prefill tabs."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocumenttabs/update/
    return client.put_json(
        f"{ENVELOPE}/documents/{{documentId}}/tabs",
        path_params={"envelopeId": envelope_id, "documentId": document_id},
        json=tabs,
    )


def resend_envelope(client: DocuSignClient, envelope_id: str) -> dict[str, Any]:
    """Send the notification again to the recipients whose turn it is and who have not acted.

    DocuSign needs a JSON body here; without one it answers 400 INVALID_REQUEST_BODY."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/update/
    return client.put_json(
        ENVELOPE,
        path_params={"envelopeId": envelope_id},
        params={"resend_envelope": "true"},
        json={},
    )


def update_recipients(
    client: DocuSignClient, envelope_id: str, recipients: dict[str, Any], *, resend: bool
) -> list[dict[str, Any]]:
    """Correct recipients (`{"signers": [{"recipientId", "name", "email"}], …}`). Returns
    DocuSign's per-recipient results: a refusal of one recipient comes back with HTTP 200 and
    `errorDetails` on that result, so callers must look."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipients/update/
    body = client.put_json(
        f"{ENVELOPE}/recipients",
        path_params={"envelopeId": envelope_id},
        params={"resend_envelope": "true" if resend else "false"},
        json=recipients,
    )
    return list(body.get("recipientUpdateResults") or [])


def get_notification(client: DocuSignClient, envelope_id: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/notification/get/
    return client.get_json(f"{ENVELOPE}/notification", path_params={"envelopeId": envelope_id})


def update_notification(
    client: DocuSignClient, envelope_id: str, notification: dict[str, Any]
) -> dict[str, Any]:
    """Change reminders and expiration; DocuSign sends no email for this."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/notification/update/
    return client.put_json(
        f"{ENVELOPE}/notification", path_params={"envelopeId": envelope_id}, json=notification
    )


def correct_view(client: DocuSignClient, envelope_id: str, *, return_url: str) -> str:
    """A one-time URL of DocuSign's correct page for an envelope out for signature."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createcorrect/
    view = client.post_json(
        f"{ENVELOPE}/views/correct",
        path_params={"envelopeId": envelope_id},
        json={"returnUrl": return_url},
    )
    return str(view["url"])
