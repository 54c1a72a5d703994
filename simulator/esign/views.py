"""The eSignature REST v2.1 subset, under /simulator/restapi/v2.1/accounts/{accountId}/.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/
"""

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from simulator.esign import (
    correct,
    documents,
    envelopes,
    identity,
    lifecycle,
    notifications,
    serializers,
    status_changes,
    strict,
    template_tabs,
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
        # DocuSign answers 400 (not 404) for an envelope it does not know (FACTS §5.10).
        raise ApiError(
            "ENVELOPE_DOES_NOT_EXIST",
            "The envelope specified either does not exist or you have no rights to it.",
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
        body = json_body(request, required=True)
        envelope = envelopes.create_envelope(account=account, sender=user, body=body)
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
    if request.GET.get("resend_envelope", "false").lower() == "true":
        return _resend(envelope, request, status)
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
        resend = request.GET.get("resend_envelope", "false").lower() == "true"
        return _update_recipients(envelope, json_body(request), resend=resend)
    include_tabs = request.GET.get("include_tabs", "false").lower() == "true"
    return JsonResponse(serializers.recipients_json(envelope, include_tabs=include_tabs))


def _resend(envelope: SimEnvelope, request: HttpRequest, status: str) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/update/
    if not request.body:
        raise ApiError(
            "INVALID_REQUEST_BODY", "The request body is missing or improperly formatted."
        )
    if status:
        raise ApiError("INVALID_REQUEST_BODY", "Resend an envelope or change its status, not both.")
    if envelope.status not in lifecycle.ACTIVE:
        raise ApiError(
            "ENVELOPE_INVALID_STATUS",
            f"Only envelopes out for signature can be resent; this one is '{envelope.status}'.",
        )
    lifecycle.resend(envelope)
    return JsonResponse({"envelopeId": envelope.envelope_id})


def _update_recipients(
    envelope: SimEnvelope, body: dict[str, Any], *, resend: bool
) -> HttpResponse:
    """Correct names/emails of recipients who have not finished (drafts or in-process).

    Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipients/update/
    """
    if envelope.status not in ("created", *lifecycle.ACTIVE):
        raise ApiError(
            "ENVELOPE_INVALID_STATUS",
            "Invalid envelope status. Envelope status is not one of: Created, Sent, Delivered, "
            "Correct.",
        )
    results = []
    for kind in serializers.RECIPIENT_KINDS:
        for item in body.get(kind) or []:
            recipient = envelope.recipients.filter(
                recipient_id=str(item.get("recipientId"))
            ).first()
            if recipient is None:
                raise ApiError("INVALID_RECIPIENT_ID", f"No recipient {item.get('recipientId')}.")
            results.append(_correct_one(recipient, item, resend=resend))
    return JsonResponse({"recipientUpdateResults": results})


def _correct_one(recipient: SimRecipient, item: dict[str, Any], *, resend: bool) -> dict[str, Any]:
    """One recipient's result: a finished recipient is refused in the result (HTTP 200)."""
    result: dict[str, Any] = {
        "recipientId": recipient.recipient_id,
        "recipientIdGuid": recipient.recipient_id_guid,
    }
    if recipient.status in ("signed", "completed", "declined"):
        result["errorDetails"] = {
            "errorCode": "RECIPIENT_UPDATE_FAILED",
            "message": "The recipient could not be updated.  Recipient not in state that "
            "allows correction.",
        }
        return result
    client_user_id = item.get("clientUserId")
    if client_user_id is not None and str(client_user_id) != recipient.client_user_id:
        # Not among the fields DocuSign lets a correction change after sending.
        result["errorDetails"] = {
            "errorCode": "RECIPIENT_UPDATE_FAILED",
            "message": "The recipient could not be updated.  clientUserId cannot be changed.",
        }
        return result
    email = str(item.get("email") or "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            result["errorDetails"] = {
                "errorCode": "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
                "message": "The email address for the recipient is invalid.",
            }
            return result
        recipient.email = email
    if item.get("name"):
        recipient.name = str(item["name"])[:100]
    # DocuSign emails a new address, and everyone corrected when asked to resend.
    if (email or resend) and recipient.status in lifecycle.ACTIVE and not recipient.client_user_id:
        recipient.notifications_sent += 1
    recipient.save()
    result["errorDetails"] = None
    return result


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


@api_view
def document_tabs(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str, document_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocumenttabs/
    envelope = _envelope(account, envelope_id)
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
    envelope = _envelope(account, envelope_id)
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


@api_view
def correct_view(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopeviews/createcorrect/
    return correct.open_view(request, _envelope(account, envelope_id))


@api_view
def notification(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/notification/
    envelope = _envelope(account, envelope_id)
    if request.method == "PUT":
        return JsonResponse(notifications.update(envelope, json_body(request)))
    return JsonResponse(envelope.notification or notifications.SYSTEM_DEFAULT)
