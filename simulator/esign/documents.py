"""Envelope documents as DocuSign serves them: the list, each one, combined, certificate."""

import html
import re
from typing import Any

from simulator.esign import pdf, template_tabs
from simulator.esign.wire import ApiError, ds_date
from simulator.models import SimDocument, SimEnvelope

_TAGS = re.compile(r"<[^>]+>")


def document_text(doc: SimDocument) -> str:
    """The readable text of a document (HTML stripped; PDF text is not extracted)."""
    raw = bytes(doc.content)
    if doc.file_extension.lower() in ("html", "htm"):
        return html.unescape(_TAGS.sub(" ", raw.decode("utf-8", "replace")))
    if doc.file_extension.lower() in ("txt", "text", "md"):
        return raw.decode("utf-8", "replace")
    return raw.decode("latin-1")


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
    for doc in envelope.documents.order_by("order"):
        for label, value in template_tabs.shown_values(doc.tabs):
            lines.append(f"  {label} (sender): {value}")
    for r in envelope.recipients.all():
        lines.append(f"{r.name} <{r.email}>: {r.status} {ds_date(r.signed)}".rstrip())
        for label, value in template_tabs.shown_values(r.tabs):
            lines.append(f"  {label}: {value}")
    return lines


def template_pdf(doc: dict[str, Any]) -> tuple[str, bytes]:
    """A template's document as DocuSign serves it: converted to PDF."""
    text = str(doc.get("content", ""))
    if str(doc.get("fileExtension", "")).lower() in ("html", "htm"):
        text = html.unescape(_TAGS.sub(" ", text))
    name = str(doc.get("name") or "document")
    return f"{name}.pdf", pdf.text_pdf([[name, "", *text.splitlines()]])


def certificate(envelope: SimEnvelope) -> bytes:
    return pdf.text_pdf([_certificate_lines(envelope)])


def _certificate_lines(envelope: SimEnvelope) -> list[str]:
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
    return lines


def render(
    envelope: SimEnvelope, document_id: str, *, with_certificate: bool = False
) -> tuple[str, bytes]:
    """(file name, PDF bytes) for a document ID or one of DocuSign's keywords. `combined`
    carries the certificate of completion only when asked (`certificate=true`): the account
    option that attaches it by default is off here."""
    if document_id == "certificate":
        return "Summary.pdf", certificate(envelope)
    docs = list(envelope.documents.order_by("order"))
    if document_id == "combined":
        pages = [_pages_for(d) for d in docs]
        pages[-1:] = [pages[-1] + _signatures(envelope)] if pages else [_signatures(envelope)]
        if with_certificate:
            pages.append(_certificate_lines(envelope))
        return f"{envelope.email_subject or 'envelope'}.pdf", pdf.text_pdf(pages)
    doc = next((d for d in docs if d.document_id == document_id), None)
    if doc is None:
        raise ApiError("DOCUMENT_DOES_NOT_EXIST", "The document specified was not found.", 404)
    content = bytes(doc.content)
    if doc.file_extension == "pdf" and content.startswith(b"%PDF-"):
        return doc.name, content
    return f"{doc.name}.pdf", pdf.text_pdf([_pages_for(doc)])
