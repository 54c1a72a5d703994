"""Public pages of the connections app: where DocuSign sends the user back after consent."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from connections import consent


@require_GET
def consent_return(request: HttpRequest) -> HttpResponse:
    """No login: the impersonated DocuSign user lands here. `code` is deliberately ignored."""
    state = request.GET.get("state", "")
    outcome = consent.record_return(
        state=state,
        error=request.GET.get("error", ""),
        # DocuSign sends error_message; OAuth's standard name is error_description.
        error_message=request.GET.get("error_message") or request.GET.get("error_description", ""),
    )
    if outcome.request is not None:
        outcome.request.refresh_from_db()  # without a broker the check has already run
    return render(
        request,
        "connections/consent_return.html",
        {"outcome": outcome, "request_": outcome.request, "state": state},
        status=200 if outcome.ok else 400,
    )


@require_GET
def consent_result(request: HttpRequest) -> HttpResponse:
    """htmx, no login: what DocuSign answered about the consent (the state proves the link)."""
    state = request.GET.get("state", "")
    found = consent.request_from_state(state)
    if found is None:
        return HttpResponse(status=404)
    return render(request, "connections/consent_result.html", {"request_": found, "state": state})
