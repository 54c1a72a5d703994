"""The eSignature REST v2.1 subset, under /simulator/restapi/v2.1/accounts/{accountId}/.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/
"""

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from simulator.esign import (
    documents,
    envelopes,
    identity,
    lifecycle,
    serializers,
    status_changes,
    strict,
)
from simulator.esign.api import api_view
from simulator.esign.status_changes import include_param, int_param
from simulator.esign.wire import ApiError, json_body, now_iso
from simulator.models import (
    SimAccount,
    SimEnvelope,
    SimRecipient,
    SimSigningSession,
    SimTemplate,
    SimUser,
)


def _envelope(account: SimAccount, envelope_id: str) -> SimEnvelope:
    envelope = SimEnvelope.objects.filter(account=account, envelope_id=envelope_id.lower()).first()
    if envelope is None:
        raise ApiError(
            "ENVELOPE_DOES_NOT_EXIST",
            "The envelope specified either does not exist or you have no rights to it.",
            404,
        )
    return envelope


@api_view
def account(request: HttpRequest, *, account: SimAccount, user: SimUser) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/accounts/get/
    if request.method != "GET":
        raise ApiError("INVALID_REQUEST_METHOD", "Only GET is supported here.", 405)
    return JsonResponse(
        {"accountIdGuid": account.account_id, "accountName": account.name, "currentPlanId": "sim"}
    )


@api_view
def identity_verifications(
    request: HttpRequest, *, account: SimAccount, user: SimUser
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/identityverifications/list/
    return JsonResponse(identity.workflows_json(account))


@api_view
def envelopes_collection(
    request: HttpRequest, *, account: SimAccount, user: SimUser
) -> HttpResponse:
    if request.method == "POST":
        # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
        envelope = envelopes.create_envelope(account=account, sender=user, body=json_body(request))
        return JsonResponse(
            {
                "envelopeId": envelope.envelope_id,
                "status": envelope.status,
                "statusDateTime": now_iso(),
                "uri": f"/envelopes/{envelope.envelope_id}",
            },
            status=201,
        )
    if request.method == "GET":
        return JsonResponse(status_changes.list_status_changes(request, account))
    raise ApiError("INVALID_REQUEST_METHOD", "Use GET or POST.", 405)


@api_view
def envelope_item(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    envelope = _envelope(account, envelope_id)
    if request.method == "GET":
        # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/get/
        return JsonResponse(serializers.envelope_json(envelope, include_param(request)))
    if request.method != "PUT":
        raise ApiError("INVALID_REQUEST_METHOD", "Use GET or PUT.", 405)
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/update/
    body = json_body(request)
    status = str(body.get("status") or "").lower()
    if status == "voided":
        if envelope.status not in lifecycle.ACTIVE:
            raise ApiError(
                "ENVELOPE_CANNOT_VOID_INVALID_STATE",
                "Only envelopes in the 'sent' or 'delivered' states may be voided; "
                f"this one is '{envelope.status}'.",
            )
        reason = str(body.get("voidedReason") or "")
        if not reason:
            raise ApiError(
                "VOIDED_REASON_REQUIRED", "A voidedReason is required to void an envelope."
            )
        lifecycle.void(envelope, reason[:200])
    elif status == "sent":
        if envelope.status != "created":
            raise ApiError(
                "ENVELOPE_INVALID_STATUS",
                f"Only draft envelopes can be sent; this one is '{envelope.status}'.",
            )
        lifecycle.send(envelope)
    elif status:
        raise ApiError("INVALID_REQUEST_BODY", f"status '{status}' cannot be set here.")
    else:
        if envelope.status != "created":
            raise ApiError("ENVELOPE_INVALID_STATUS", "Only draft envelopes can be changed.")
        envelope.email_subject = str(body.get("emailSubject", envelope.email_subject))[:100]
        envelope.email_blurb = str(body.get("emailBlurb", envelope.email_blurb))
        envelope.save()
    return JsonResponse({"envelopeId": envelope.envelope_id})


@api_view
def recipients(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipients/list/
    envelope = _envelope(account, envelope_id)
    if request.method == "PUT":
        return _update_recipients(envelope, json_body(request))
    include_tabs = request.GET.get("include_tabs", "false").lower() == "true"
    return JsonResponse(serializers.recipients_json(envelope, include_tabs=include_tabs))


def _update_recipients(envelope: SimEnvelope, body: dict[str, Any]) -> HttpResponse:
    """Correct names/emails of recipients who have not finished (drafts or in-process)."""
    results = []
    for kind in serializers.RECIPIENT_KINDS:
        for item in body.get(kind) or []:
            recipient = envelope.recipients.filter(
                recipient_id=str(item.get("recipientId"))
            ).first()
            if recipient is None:
                raise ApiError("INVALID_RECIPIENT_ID", f"No recipient {item.get('recipientId')}.")
            if recipient.status in ("completed", "declined"):
                raise ApiError(
                    "RECIPIENT_ALREADY_COMPLETED", "That recipient has already finished."
                )
            for field, key in (("name", "name"), ("email", "email")):
                if item.get(key):
                    setattr(recipient, field, str(item[key]))
            recipient.save()
            results.append({"recipientId": recipient.recipient_id, "errorDetails": None})
    return JsonResponse({"recipientUpdateResults": results})


@api_view
def recipient_tabs(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str, recipient_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipienttabs/list/
    envelope = _envelope(account, envelope_id)
    recipient = envelope.recipients.filter(recipient_id=recipient_id).first()
    if recipient is None:
        raise ApiError(
            "INVALID_RECIPIENT_ID", f"No recipient {recipient_id} in this envelope.", 404
        )
    return JsonResponse(recipient.tabs)


@api_view
def documents_list(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/list/
    envelope = _envelope(account, envelope_id)
    return JsonResponse(documents.list_json(envelope))


@api_view
def document(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str, document_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/get/
    envelope = _envelope(account, envelope_id)
    wants_certificate = request.GET.get("certificate", "").lower() == "true"
    name, content = documents.render(envelope, document_id, with_certificate=wants_certificate)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'file; filename="{name}"; documentid="{document_id}"'
    return response


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
    return JsonResponse(serializers.template_json(_template(account, template_id), full=True))


@api_view
def template_recipients(
    request: HttpRequest, *, account: SimAccount, user: SimUser, template_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templaterecipients/list/
    return JsonResponse(serializers.template_recipients_json(_template(account, template_id)))


@api_view
def recipient_view(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createrecipient/
    envelope = _envelope(account, envelope_id)
    body = json_body(request)
    return_url = str(body.get("returnUrl") or "")
    if not return_url or len(return_url) > 470:
        raise ApiError("INVALID_REQUEST_BODY", "returnUrl is required (at most 470 characters).")
    if not body.get("authenticationMethod"):
        raise ApiError("INVALID_REQUEST_BODY", "authenticationMethod is required (e.g. 'none').")
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
        # In-person: the view is asked for as the host, who must match exactly (case too).
        candidates = SimRecipient.objects.filter(
            envelope=envelope,
            kind="inPersonSigners",
            host_name=str(body.get("userName") or ""),
            host_email=str(body.get("email") or ""),
        )
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
    envelope = _envelope(account, envelope_id)
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


@csrf_exempt
def not_simulated(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /restapi: DocuSign's JSON error naming the operation, if any."""
    try:
        operation = strict.operation_for(request.method or "GET", f"/{rest}")
    except ApiError as exc:
        return exc.response()
    # Unreachable while every simulated operation has its URL (a test checks that).
    return ApiError(
        "OPERATION_NOT_SIMULATED",
        f"{operation.id} is simulated, but not at /{rest} (check the path's form).",
        501,
    ).response()
