"""DocuSign's correct view in the simulator: the API call that opens it and the page itself,
where the sender changes recipients of an envelope out for signature.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createcorrect/
"""

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from simulator.esign import lifecycle
from simulator.esign.wire import ApiError, json_body
from simulator.models import SimCorrectSession, SimEnvelope

SESSION_TTL = timedelta(minutes=10)  # DocuSign: the correct view URL is valid 10 minutes
MAX_RETURN_URL = 470


def open_view(request: HttpRequest, envelope: SimEnvelope) -> JsonResponse:
    """POST .../views/correct: 201 with a single-use URL, for envelopes sent or delivered."""
    return_url = str(json_body(request).get("returnUrl") or "")
    if not return_url:
        raise ApiError("INVALID_REQUEST_BODY", "returnUrl is required.")
    if len(return_url) > MAX_RETURN_URL:
        raise ApiError("INVALID_REQUEST_BODY", f"returnUrl is longer than {MAX_RETURN_URL}.")
    if envelope.status not in lifecycle.ACTIVE:
        raise ApiError(
            "ENVELOPE_INVALID_STATUS",
            "Invalid envelope status. Correct view cannot be created for an envelope in a "
            f"{envelope.status.capitalize()} state.",
        )
    session = SimCorrectSession.objects.create(
        token=secrets.token_urlsafe(32), envelope=envelope, return_url=return_url
    )
    url = request.build_absolute_uri(reverse("simulator:correct", args=[session.token]))
    return JsonResponse({"url": url}, status=201)


def _return(url: str, event: str) -> HttpResponseRedirect:
    separator = "&" if "?" in url else "?"
    return HttpResponseRedirect(f"{url}{separator}{urlencode({'event': event})}")


def page(request: HttpRequest, token: str) -> HttpResponse:
    """The correct page: each unfinished recipient's name and email, editable."""
    session = get_object_or_404(SimCorrectSession.objects.select_related("envelope"), token=token)
    envelope = session.envelope
    if session.used or timezone.now() - session.created > SESSION_TTL:
        return _return(session.return_url, "sessionEnd")
    editable = list(envelope.recipients.exclude(status__in=("signed", "completed", "declined")))
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            _use(session)
            return _return(session.return_url, "cancel")
        if envelope.status not in lifecycle.ACTIVE:
            _use(session)
            return _return(session.return_url, "error")
        errors = _apply(request, editable)
        if not errors:
            _use(session)
            return _return(session.return_url, "send")
    return render(
        request,
        "simulator/correct.html",
        {"envelope": envelope, "recipients": editable, "errors": errors},
    )


def _use(session: SimCorrectSession) -> None:
    session.used = True
    session.save(update_fields=["used"])


@transaction.atomic
def _apply(request: HttpRequest, recipients: list) -> list[str]:  # type: ignore[type-arg]
    errors = []
    for recipient in recipients:
        name = request.POST.get(f"name-{recipient.pk}", recipient.name).strip()
        email = request.POST.get(f"email-{recipient.pk}", recipient.email).strip()
        if not name:
            errors.append(f"Recipient {recipient.recipient_id}: a name is required.")
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"Recipient {recipient.recipient_id}: {email!r} is not an email.")
            continue
        changed = email.lower() != recipient.email.lower()
        recipient.name, recipient.email = name[:100], email[:100]
        if changed and recipient.status in lifecycle.ACTIVE and not recipient.client_user_id:
            recipient.notifications_sent += 1  # DocuSign emails the new address
        recipient.save()
    if errors:
        transaction.set_rollback(True)
    return errors
