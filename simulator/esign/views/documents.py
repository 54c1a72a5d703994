"""An envelope's documents: list them, download one as PDF, read or prefill its tabs."""

from django.http import HttpRequest, HttpResponse, JsonResponse

from simulator.esign import documents, template_tabs
from simulator.esign.api import api_view
from simulator.esign.envelopes import find_envelope
from simulator.esign.wire import ApiError, json_body
from simulator.models import SimAccount, SimUser


@api_view
def documents_list(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/list/
    envelope = find_envelope(account, envelope_id)
    return JsonResponse(documents.list_json(envelope))


@api_view
def document(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str, document_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/get/
    envelope = find_envelope(account, envelope_id)
    wants_certificate = request.GET.get("certificate", "").lower() == "true"
    name, content = documents.render(envelope, document_id, with_certificate=wants_certificate)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'file; filename="{name}"; documentid="{document_id}"'
    return response


@api_view
def document_tabs(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str, document_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocumenttabs/
    envelope = find_envelope(account, envelope_id)
    doc = envelope.documents.filter(document_id=document_id).first()
    if doc is None:
        raise ApiError("DOCUMENT_DOES_NOT_EXIST", "The document specified was not found.", 404)
    if request.method == "PUT":
        if envelope.status != "created":
            raise ApiError(
                "ENVELOPE_INVALID_STATUS",
                f"Prefill tabs can be changed on draft envelopes only; this one is "
                f"'{envelope.status}'.",
            )
        doc.tabs = template_tabs.update_prefill(doc.tabs, json_body(request))
        doc.save(update_fields=["tabs"])
    return JsonResponse(doc.tabs)
