"""Reminders and expiration in the simulator: the envelope's `notification`, GET/PUT of it,
and envelopes that expire (voided) once their expiry passes on the simulator's clock.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/notification/
DocuSign publishes the ranges (1-999 days) for its web app, not the API's error codes for
values outside them; the simulator refuses them with INVALID_REQUEST_BODY naming the field.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from simulator.esign.wire import ApiError
from simulator.models import SimBehaviour, SimEnvelope

# Without a notification object DocuSign applies its system default (not the account's):
# no reminders, expiry after 120 days, no warning.
SYSTEM_DEFAULT: dict[str, Any] = {
    "useAccountDefaults": "false",
    "reminders": {"reminderEnabled": "false", "reminderDelay": "0", "reminderFrequency": "0"},
    "expirations": {"expireEnabled": "true", "expireAfter": "120", "expireWarn": "0"},
}
MAX_DAYS = 999
# The voided reason DocuSign's expiry leaves (its exact wording is not published).
EXPIRED_REASON = "Envelope has expired."


def now() -> datetime:
    """The simulator's clock (control.advance_clock moves it ahead)."""
    offset = SimBehaviour.objects.filter(pk=1).values_list("clock_offset_seconds", flat=True)
    return timezone.now() + timedelta(seconds=(offset.first() or 0))


def _flag(section: dict[str, Any], name: str, default: str) -> str:
    value = str(section.get(name, default)).lower()
    if value not in ("true", "false"):
        raise ApiError("INVALID_REQUEST_BODY", f"{name} must be 'true' or 'false', not {value!r}.")
    return value


def _days(section: dict[str, Any], name: str, default: str, low: int) -> str:
    value = str(section.get(name, default))
    if not value.isdigit() or not low <= int(value) <= MAX_DAYS:
        raise ApiError(
            "INVALID_REQUEST_BODY",
            f"{name} must be a whole number of days from {low} to {MAX_DAYS}, not {value!r}.",
        )
    return str(int(value))


def normalized(body: dict[str, Any] | None) -> dict[str, Any]:
    """The notification DocuSign would store for this request's object (None: default)."""
    if not body:
        return SYSTEM_DEFAULT
    if _flag(body, "useAccountDefaults", "false") == "true":
        return SYSTEM_DEFAULT  # the simulated account's defaults are the system's
    reminders = body.get("reminders") or {}
    expirations = body.get("expirations") or {}
    expiry = {
        # expireAfter counts only when expireEnabled is explicitly "true".
        "expireEnabled": _flag(expirations, "expireEnabled", "false"),
        "expireAfter": _days(expirations, "expireAfter", "120", 1),
        "expireWarn": _days(expirations, "expireWarn", "0", 0),
    }
    if expiry["expireEnabled"] == "false":
        expiry.update(expireEnabled="true", expireAfter="120")
    if int(expiry["expireWarn"]) >= int(expiry["expireAfter"]):
        raise ApiError("INVALID_REQUEST_BODY", "expireWarn must be fewer days than expireAfter.")
    reminding = {
        "reminderEnabled": _flag(reminders, "reminderEnabled", "false"),
        "reminderDelay": _days(reminders, "reminderDelay", "0", 0),
        "reminderFrequency": _days(reminders, "reminderFrequency", "0", 0),
    }
    if reminding["reminderEnabled"] == "true" and reminding["reminderDelay"] == "0":
        # Reminders start 1-999 days after sending; 0 with reminders on is refused.
        raise ApiError(
            "INVALID_REQUEST_BODY",
            "reminderDelay must be 1 to 999 days when reminderEnabled is true.",
        )
    return {"useAccountDefaults": "false", "reminders": reminding, "expirations": expiry}


def schedule_expiry(envelope: SimEnvelope) -> None:
    """The envelope expires expireAfter days after it was first sent."""
    if envelope.sent is None:
        return
    notification = envelope.notification or SYSTEM_DEFAULT
    days = int(notification["expirations"]["expireAfter"])
    envelope.expires = envelope.sent + timedelta(days=days)


def update(envelope: SimEnvelope, body: dict[str, Any]) -> dict[str, Any]:
    """PUT notification: only envelopes not yet finished (drafts and in flight)."""
    if envelope.status not in ("created", "sent", "delivered"):
        raise ApiError(
            "ENVELOPE_INVALID_STATUS",
            "Invalid envelope status. Envelope status is not one of: Created, Sent, Delivered, "
            "Correct.",
        )
    envelope.notification = normalized(body)
    schedule_expiry(envelope)
    envelope.save()
    return dict(envelope.notification)
