"""Human labels for DocuSign's raw words: statuses, tab labels, history events."""

import re

from django import template

register = template.Library()

STATUSES = {
    "created": "Not sent yet",
    "sent": "Sent",
    "delivered": "Viewed",
    "signed": "Signed",
    "completed": "Completed",
    "declined": "Declined",
    "voided": "Voided",
    "autoresponded": "Email bounced",
    "faxpending": "Fax pending",
    "queued": "Queued",
    "sending": "Sending",
    "failed": "Failed",
}
EVENTS = {
    "queued": "Queued for sending",
    "sending": "Sending to DocuSign",
    "sent": "Sent to DocuSign",
    "created": "Created as a draft at DocuSign",
    "retrying": "Sending failed for now; retrying",
    "recovered": "Found the envelope a previous attempt created",
    "failed": "Sending failed",
    "voided": "Voided",
}


@register.filter
def status_label(value: object) -> str:
    """`delivered` → `Opened`; unknown words are capitalised, never shown raw."""
    text = str(value or "")
    return STATUSES.get(text.lower(), human(text))


@register.filter
def human(value: object) -> str:
    """A machine name as words: `company_name` → `Company name`, `signature_1` →
    `Signature 1`, `sigCompany` → `Sig company`."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(value or ""))
    text = re.sub(r"[_\-]+", " ", text).strip()
    return text[:1].upper() + text[1:].lower() if text else ""


@register.filter
def event_label(kind: object) -> str:
    """History entries: `envelope-completed` → `Envelope completed`,
    `recipient-delivered` → `Recipient viewed`."""
    text = str(kind or "")
    for prefix, noun in (("envelope-", "Envelope"), ("recipient-", "Recipient")):
        if text.startswith(prefix):
            return f"{noun} {status_label(text.removeprefix(prefix)).lower()}"
    return EVENTS.get(text, human(text))


@register.filter
def recipient_status(recipient: object, envelope: object) -> str:
    """The status a person should see: once the envelope is voided, recipients who had not
    finished are voided too (DocuSign keeps their last status, which reads as still open)."""
    own = str(getattr(recipient, "status", ""))
    if getattr(envelope, "status", "") == "voided" and own not in ("completed", "declined"):
        return "voided"
    return own
