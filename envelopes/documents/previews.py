"""Previews: documents as DocuSign holds them, shown inline but never as a page of ours.

A preview is a PDF from DocuSign (an envelope's documents, which DocuSign has converted from
Word, HTML or text; a template's documents) or from our kept copies. It is served for a frame
of our own pages with its own Content-Security-Policy `sandbox` (an opaque origin, no script)
and `nosniff`. The frame itself has no `sandbox` attribute: Chromium refuses to show a PDF in
such a frame, while a sandbox policy on the response keeps its viewer and stops scripts alike.
"""

from collections.abc import Iterator

from django.http import StreamingHttpResponse

from connections.docusign import esignature
from connections.models import Connection
from connections.services import get_client
from envelopes.documents import kept
from envelopes.models import Envelope

# No script, no plugins of ours, framed only by our own pages.
PREVIEW_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def inline_pdf(chunks: Iterator[bytes], *, name: str, content_type: str) -> StreamingHttpResponse:
    """A document to show in a preview frame: inline if DocuSign says it is a PDF, else a
    download (a DocuSign error page or an unexpected type is never rendered)."""
    is_pdf = content_type.split(";")[0].strip().lower() == "application/pdf"
    response = StreamingHttpResponse(chunks, content_type="application/pdf" if is_pdf else "")
    if not is_pdf:
        response["Content-Type"] = "application/octet-stream"
    disposition = "inline" if is_pdf else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{_safe(name)}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PREVIEW_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response


def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in " -_.")[:80] or "document"


def envelope_document(*, envelope: Envelope, document_id: str) -> StreamingHttpResponse:
    """An envelope's document (or `combined`) as DocuSign holds it: from our kept copies once
    completed, else from DocuSign (one call, on the shared budget's interactive share)."""
    content_type, chunks = kept.download(envelope=envelope, document_id=document_id)
    return inline_pdf(chunks, name=f"{envelope.subject}-{document_id}", content_type=content_type)


def template_document(
    *, connection: Connection, template_id: str, document_id: str
) -> StreamingHttpResponse:
    """A template's document as DocuSign renders it (one call, a person waiting)."""
    content_type, chunks = esignature.template_document(
        get_client(connection, interactive=True), template_id, document_id
    )
    return inline_pdf(chunks, name=f"template-{document_id}", content_type=content_type)
