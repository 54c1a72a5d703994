"""Failures a person must see: on the envelope's page, in its history, and by email."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from connections.docusign.errors import DocuSignError
from envelopes.history import record_event
from envelopes.models import Envelope

logger = logging.getLogger("countersign.envelopes")


def describe(error: DocuSignError) -> str:
    """DocuSign's error and the fix, as stored on the envelope and shown on its page."""
    return f"{error}\n\nHow to fix it: {error.advice}"


def show_failure(envelope: Envelope, *, kind: str, what: str, error: DocuSignError) -> None:
    """Record the failure on the envelope (its page shows error_detail) and tell the sender."""
    envelope.error_code = error.error_code[:100]
    envelope.error_detail = f"{what}: {describe(error)}"
    envelope.save(update_fields=["status", "error_code", "error_detail", "updated_at"])
    record_event(envelope, kind, f"{what}: {error}")
    tell_sender(envelope, what=what)


def tell_sender(envelope: Envelope, *, what: str) -> None:
    """Email the sender (they may have left the page); a mail failure is logged, not raised."""
    email = envelope.sender.email if envelope.sender is not None else ""
    if not email:
        return
    link = settings.SITE_URL + reverse("envelopes:detail", args=[envelope.pk])
    email_quietly(
        subject=f"{what}: {envelope.subject}",
        message=f"{envelope.error_detail}\n\nThe envelope: {link}\n",
        to=[email],
    )


def email_quietly(*, subject: str, message: str, to: list[str]) -> None:
    """Send a plain email to people who may have left the page; a mail failure is logged,
    never raised (the page and the history already say what happened)."""
    try:
        send_mail(subject=subject[:200], message=message, from_email=None, recipient_list=to)
    except OSError:
        logger.exception("Could not email %s about: %s", ", ".join(to), subject[:200])
