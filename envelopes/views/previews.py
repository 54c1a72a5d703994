"""Preview frames: an envelope's documents as DocuSign holds them, and a template's documents
before sending (see envelopes.documents.previews for how they are kept inert)."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from connections.docusign.errors import DocuSignError
from connections.selectors import usable_connections
from envelopes.composing.forms import QueryForm
from envelopes.documents import previews
from envelopes.views.access import envelope_to_act_on


class TemplatePreviewQuery(QueryForm):
    connection = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    docusign_template = forms.RegexField(
        regex=r"^[0-9A-Fa-f-]{36}$",
        error_messages={"invalid": "is not a DocuSign template ID (a GUID)."},
    )
    document = forms.RegexField(
        regex=r"^[0-9]{1,9}$", error_messages={"invalid": "is not a document number."}
    )


def _problem(message: str, status: int) -> HttpResponse:
    """What went wrong, as plain text in the frame (inert like the documents)."""
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = previews.PREVIEW_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
@require_GET
def envelope_preview(request: HttpRequest, pk: Any, document_id: str) -> HttpResponseBase:
    """An envelope's documents for the frame on its page: the same permission as a download
    (seeing an envelope is not enough to read its documents)."""
    envelope = envelope_to_act_on(request, pk)
    if document_id != "combined" and not document_id.isdigit():
        raise Http404("Unknown document.")
    if not envelope.docusign_envelope_id:
        return _problem("DocuSign does not have this envelope yet: preview it once sent.", 409)
    try:
        return previews.envelope_document(envelope=envelope, document_id=document_id)
    except DocuSignError as exc:
        return _problem(f"The preview could not be loaded: {exc.with_advice}", 502)


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
@require_GET
def template_preview(request: HttpRequest) -> HttpResponseBase:
    """A DocuSign template's document as DocuSign renders it, for the compose page."""
    query = TemplatePreviewQuery(request.GET)
    if not query.is_valid():
        return _problem(query.problem(), 400)
    connection = get_object_or_404(
        usable_connections(request.user), pk=query.cleaned_data["connection"]
    )
    try:
        return previews.template_document(
            connection=connection,
            template_id=query.cleaned_data["docusign_template"],
            document_id=query.cleaned_data["document"],
        )
    except DocuSignError as exc:
        return _problem(f"The preview could not be loaded: {exc.with_advice}", 502)
