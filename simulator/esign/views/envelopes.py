"""Envelopes as a whole: create, list status changes, get, send, void, resend, and
their notification (reminders and expiry)."""

from django.http import HttpRequest, HttpResponse, JsonResponse

from simulator.esign import lifecycle, notifications, serializers, status_changes
from simulator.esign.api import api_view
from simulator.esign.envelopes import create_envelope, find_envelope
from simulator.esign.status_changes import include_param
from simulator.esign.wire import ApiError, json_body, now_iso
from simulator.models import SimAccount, SimEnvelope, SimUser


@api_view
def envelopes_collection(
    request: HttpRequest, *, account: SimAccount, user: SimUser
) -> HttpResponse:
    if request.method == "POST":
        # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/create/
        body = json_body(request, required=True)
        envelope = create_envelope(account=account, sender=user, body=body)
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
    envelope = find_envelope(account, envelope_id)
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


@api_view
def notification(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/notification/
    envelope = find_envelope(account, envelope_id)
    if request.method == "PUT":
        return JsonResponse(notifications.update(envelope, json_body(request)))
    return JsonResponse(envelope.notification or notifications.SYSTEM_DEFAULT)
