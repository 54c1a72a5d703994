"""Embedded views: the URLs of the recipient (signing), sender and correct pages
(EnvelopeViews API)."""

import secrets

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from simulator.esign import correct, lifecycle
from simulator.esign.api import api_view
from simulator.esign.envelopes import find_envelope
from simulator.esign.wire import ApiError, json_body
from simulator.models import SimAccount, SimRecipient, SimSigningSession, SimUser

# FACTS-addendum-A A4.4 (SPEC): the values DocuSign accepts; samples send "none" in lower case.
AUTHENTICATION_METHODS = {
    m.lower()
    for m in (
        "Biometric",
        "Email",
        "HTTPBasicAuth",
        "Kerberos",
        "KnowledgeBasedAuth",
        "None",
        "PaperDocuments",
        "Password",
        "RSASecureID",
        "SingleSignOn_CASiteminder",
        "SingleSignOn_InfoCard",
        "SingleSignOn_MicrosoftActiveDirectory",
        "SingleSignOn_Other",
        "SingleSignOn_Passport",
        "SingleSignOn_SAML",
        "Smartcard",
        "SSLMutualAuth",
        "X509Certificate",
    )
}


@api_view
def recipient_view(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createrecipient/
    envelope = find_envelope(account, envelope_id)
    body = json_body(request, required=True)
    return_url = str(body.get("returnUrl") or "")
    if not return_url or len(return_url) > 470:
        raise ApiError("INVALID_REQUEST_BODY", "returnUrl is required (at most 470 characters).")
    if not body.get("authenticationMethod"):
        raise ApiError("INVALID_REQUEST_BODY", "authenticationMethod is required (e.g. 'none').")
    if str(body["authenticationMethod"]).lower() not in AUTHENTICATION_METHODS:
        raise ApiError(
            "INVALID_REQUEST_BODY",
            f"authenticationMethod '{body['authenticationMethod']}' is not one of DocuSign's "
            "methods (e.g. None, Email, Password).",
        )
    if envelope.status not in lifecycle.ACTIVE:
        raise ApiError("ENVELOPE_INVALID_STATUS", f"The envelope is '{envelope.status}', not sent.")
    if body.get("clientUserId"):
        candidates = SimRecipient.objects.filter(
            envelope=envelope,
            client_user_id=str(body.get("clientUserId") or ""),
            email__iexact=str(body.get("email") or ""),
            name=str(body.get("userName") or ""),
        ).exclude(client_user_id="")
    else:
        # In-person: the view is asked for as the host, who must match exactly (case too),
        # by the host themself: a view without clientUserId is the caller's own.
        host_name, host_email = str(body.get("userName") or ""), str(body.get("email") or "")
        candidates = SimRecipient.objects.filter(
            envelope=envelope,
            kind="inPersonSigners",
            host_name=host_name,
            host_email=host_email,
        )
        if (user.name, user.email) != (host_name, host_email):
            candidates = candidates.none()
    if body.get("recipientId"):
        candidates = candidates.filter(recipient_id=str(body["recipientId"]))
    recipient = candidates.first()
    if recipient is None:
        raise ApiError(
            "UNKNOWN_ENVELOPE_RECIPIENT",
            "The recipient you have identified is not a valid recipient of the specified envelope.",
        )
    if not lifecycle.is_their_turn(recipient):
        raise ApiError(
            "RECIPIENT_NOT_IN_SEQUENCE",
            "The token for an out of sequence recipient cannot be generated.",
        )
    url = signing_url(request, recipient, return_url)
    return JsonResponse({"url": url}, status=201)


def signing_url(request: HttpRequest, recipient: SimRecipient, return_url: str) -> str:
    session = SimSigningSession.objects.create(
        token=secrets.token_urlsafe(32), recipient=recipient, return_url=return_url
    )
    return request.build_absolute_uri(reverse("simulator:signing", args=[session.token]))


@api_view
def sender_view(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createsender/
    envelope = find_envelope(account, envelope_id)
    return_url = str(json_body(request).get("returnUrl") or "")
    if not return_url:
        raise ApiError("INVALID_REQUEST_BODY", "returnUrl is required.")
    if envelope.status != "created":
        raise ApiError("ENVELOPE_INVALID_STATUS", "The sender view is only for draft envelopes.")
    session = SimSigningSession.objects.create(
        token=secrets.token_urlsafe(32),
        recipient=envelope.recipients.first() or _no_recipient(),
        return_url=return_url,
    )
    url = request.build_absolute_uri(reverse("simulator:sender", args=[session.token]))
    return JsonResponse({"url": url}, status=201)


def _no_recipient() -> SimRecipient:
    raise ApiError("ENVELOPE_HAS_NO_RECIPIENTS", "Add a recipient before opening the sender view.")


@api_view
def correct_view(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createcorrect/
    return correct.open_view(request, find_envelope(account, envelope_id))
