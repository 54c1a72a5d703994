"""Public pages of the connections app: where DocuSign sends the user back after consent."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from connections import consent

STATUS = {
    "granted": 200,
    "declined": 200,
    "unsigned": 200,
    "used": 400,
    "expired": 400,
    "invalid": 400,
}


@require_GET
def consent_return(request: HttpRequest) -> HttpResponse:
    """No login: the impersonated DocuSign user lands here. `code` is deliberately ignored."""
    outcome = consent.record_return(
        state=request.GET.get("state", ""),
        error=request.GET.get("error", ""),
        # DocuSign sends error_message; OAuth's standard name is error_description.
        error_message=request.GET.get("error_message") or request.GET.get("error_description", ""),
    )
    return render(
        request,
        "connections/consent_return.html",
        {"outcome": outcome},
        status=STATUS[outcome.kind],
    )
