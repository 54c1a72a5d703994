"""An envelope's recipients: list them, correct them (PUT), and read a recipient's tabs."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, JsonResponse

from simulator.esign import lifecycle, serializers
from simulator.esign.api import api_view
from simulator.esign.envelopes import find_envelope
from simulator.esign.wire import ApiError, json_body
from simulator.models import SimAccount, SimEnvelope, SimRecipient, SimUser


@api_view
def recipients(
    request: HttpRequest, *, account: SimAccount, user: SimUser, envelope_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipients/list/
    envelope = find_envelope(account, envelope_id)
    if request.method == "PUT":
        resend = request.GET.get("resend_envelope", "false").lower() == "true"
        return _update_recipients(envelope, json_body(request), resend=resend)
    include_tabs = request.GET.get("include_tabs", "false").lower() == "true"
    return JsonResponse(serializers.recipients_json(envelope, include_tabs=include_tabs))


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
    envelope = find_envelope(account, envelope_id)
    recipient = envelope.recipients.filter(recipient_id=recipient_id).first()
    if recipient is None:
        raise ApiError(
            "INVALID_RECIPIENT_ID", f"No recipient {recipient_id} in this envelope.", 404
        )
    return JsonResponse(recipient.tabs)
