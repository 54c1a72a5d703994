"""Envelope documents as DocuSign serves them: the list, each one, combined, certificate."""

from typing import Any

from simulator.esign import pdf
from simulator.esign.envelopes import document_text
from simulator.esign.wire import ApiError, ds_date
from simulator.models import SimDocument, SimEnvelope


def list_json(envelope: SimEnvelope) -> dict[str, Any]:
    docs = [
        {
            "documentId": d.document_id,
            "name": d.name,
            "type": "content",
            "uri": f"/envelopes/{envelope.envelope_id}/documents/{d.document_id}",
            "order": str(d.order),
            "pages": "1",
            "display": "inline",
            "includeInDownload": "true",
            "signerMustAcknowledge": "no_interaction",
            "availableDocumentTypes": [{"type": "electronic", "isDefault": "true"}],
        }
        for d in envelope.documents.order_by("order")
    ]
    docs.append(
        {
            "documentId": "certificate",
            "name": "Summary",
            "type": "summary",
            "uri": f"/envelopes/{envelope.envelope_id}/documents/certificate",
            "order": "999",
            "display": "inline",
            "includeInDownload": "true",
            "signerMustAcknowledge": "no_interaction",
            "availableDocumentTypes": [{"type": "electronic", "isDefault": "true"}],
        }
    )
    return {"envelopeId": envelope.envelope_id, "envelopeDocuments": docs}


def _pages_for(doc: SimDocument) -> list[str]:
    return [f"{doc.name}", "", *document_text(doc).splitlines()]


def _signatures(envelope: SimEnvelope) -> list[str]:
    lines = ["", "Signatures and fields"]
    for r in envelope.recipients.all():
        lines.append(f"{r.name} <{r.email}>: {r.status} {ds_date(r.signed)}".rstrip())
        for tabs in r.tabs.values():
            for tab in tabs if isinstance(tabs, list) else []:
                if tab.get("value"):
                    lines.append(f"  {tab.get('tabLabel') or 'field'}: {tab['value']}")
    return lines


def certificate(envelope: SimEnvelope) -> bytes:
    lines = [
        "Certificate Of Completion (DocuSign simulator)",
        f"Envelope Id: {envelope.envelope_id}",
        f"Subject: {envelope.email_subject}",
        f"Status: {envelope.status}",
        f"Envelope Originator: {envelope.sender.name} <{envelope.sender.email}>",
        f"Sent: {ds_date(envelope.sent)}",
        f"Completed: {ds_date(envelope.completed)}",
        "",
        "Signer Events",
    ]
    for r in envelope.recipients.all():
        lines += [
            f"{r.name} <{r.email}> ({r.kind}, routing order {r.routing_order})",
            f"  Status: {r.status}",
            f"  Sent: {ds_date(r.sent)}  Viewed: {ds_date(r.delivered)}",
            f"  Signed: {ds_date(r.signed)}",
        ]
    return pdf.text_pdf([lines])


def render(envelope: SimEnvelope, document_id: str) -> tuple[str, bytes]:
    """(file name, PDF bytes) for a document ID or one of DocuSign's keywords."""
    if document_id == "certificate":
        return "Summary.pdf", certificate(envelope)
    docs = list(envelope.documents.order_by("order"))
    if document_id == "combined":
        pages = [_pages_for(d) for d in docs]
        pages[-1:] = [pages[-1] + _signatures(envelope)] if pages else [_signatures(envelope)]
        return f"{envelope.email_subject or 'envelope'}.pdf", pdf.text_pdf(pages)
    doc = next((d for d in docs if d.document_id == document_id), None)
    if doc is None:
        raise ApiError("DOCUMENT_DOES_NOT_EXIST", "The document specified was not found.", 404)
    content = bytes(doc.content)
    if doc.file_extension == "pdf" and content.startswith(b"%PDF-"):
        return doc.name, content
    return f"{doc.name}.pdf", pdf.text_pdf([_pages_for(doc)])
