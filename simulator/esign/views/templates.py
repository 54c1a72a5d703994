"""Templates: list and get them, their recipients, their documents and those documents'
tabs."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from simulator.esign import documents, serializers
from simulator.esign.api import api_view
from simulator.esign.status_changes import include_param, int_param
from simulator.esign.wire import ApiError
from simulator.models import SimAccount, SimTemplate, SimUser


@api_view
def templates_collection(
    request: HttpRequest, *, account: SimAccount, user: SimUser
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templates/list/
    found = SimTemplate.objects.filter(account=account).order_by("name")
    search = request.GET.get("search_text", "")
    if search:
        found = found.filter(name__icontains=search)
    start, count = (
        int_param(request, "start_position", 0),
        min(int_param(request, "count", 100), 2000),
    )
    page = list(found[start : start + count])
    return JsonResponse(
        {
            "envelopeTemplates": [serializers.template_json(t) for t in page],
            "resultSetSize": str(len(page)),
            "totalSetSize": str(found.count()),
            "startPosition": str(start),
            "endPosition": str(max(start + len(page) - 1, 0)),
        }
    )


def _template(account: SimAccount, template_id: str) -> SimTemplate:
    template = SimTemplate.objects.filter(account=account, template_id=template_id.lower()).first()
    if template is None:
        raise ApiError("TEMPLATE_ID_INVALID", "Invalid template ID.", 404)
    return template


@api_view
def template_item(
    request: HttpRequest, *, account: SimAccount, user: SimUser, template_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templates/get/
    include = include_param(request)
    unknown = include - set(serializers.TEMPLATE_INCLUDE)
    if unknown:
        raise ApiError(
            "INVALID_REQUEST_PARAMETER",
            f"include has unknown value(s) {', '.join(sorted(unknown))}; valid: "
            f"{', '.join(serializers.TEMPLATE_INCLUDE)}.",
        )
    template = _template(account, template_id)
    return JsonResponse(serializers.template_json(template, full=True, include=include))


@api_view
def template_recipients(
    request: HttpRequest, *, account: SimAccount, user: SimUser, template_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templaterecipients/list/
    include_tabs = request.GET.get("include_tabs", "false").lower() == "true"
    template = _template(account, template_id)
    return JsonResponse(serializers.template_recipients_json(template, include_tabs=include_tabs))


def _template_document(template: SimTemplate, document_id: str) -> dict[str, Any]:
    doc = next((d for d in template.documents if str(d["documentId"]) == document_id), None)
    if doc is None:
        raise ApiError("DOCUMENT_DOES_NOT_EXIST", "The document specified was not found.", 404)
    return dict(doc)


@api_view
def template_document(
    request: HttpRequest, *, account: SimAccount, user: SimUser, template_id: str, document_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templatedocuments/get/
    doc = _template_document(_template(account, template_id), document_id)
    name, content = documents.template_pdf(doc)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'file; filename="{name}"; documentid="{document_id}"'
    return response


@api_view
def template_document_tabs(
    request: HttpRequest, *, account: SimAccount, user: SimUser, template_id: str, document_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templatedocumenttabs/get/
    doc = _template_document(_template(account, template_id), document_id)
    return JsonResponse(doc.get("tabs") or {})
