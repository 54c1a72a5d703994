"""Celery tasks for envelopes: thin wrappers around services; retries for transient errors."""

from typing import Any

from celery import shared_task

from connections.docusign.errors import DocuSignError


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DocuSignError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def send_envelope(self: Any, envelope_id: str) -> str:
    from envelopes.services import send_envelope as send

    envelope = send(envelope_id=envelope_id)
    return envelope.status if envelope else "skipped"


@shared_task(autoretry_for=(DocuSignError,), retry_backoff=5, max_retries=5)
def void_envelope(envelope_id: str, reason: str) -> None:
    from envelopes.models import Envelope
    from envelopes.services import void_envelope as void

    void(envelope=Envelope.objects.get(pk=envelope_id), reason=reason)


@shared_task(autoretry_for=(DocuSignError,), retry_backoff=5, max_retries=3)
def refresh_envelope(envelope_id: str) -> None:
    from envelopes.models import Envelope
    from envelopes.services import refresh_from_docusign

    refresh_from_docusign(envelope=Envelope.objects.get(pk=envelope_id))
