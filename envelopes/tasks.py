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


@shared_task(autoretry_for=(DocuSignError,), retry_backoff=5, max_retries=5)
def drain_connect_events(connection_id: int) -> int:
    from envelopes.tracking import drain_connect_events as drain

    return drain(connection_id)


@shared_task(autoretry_for=(DocuSignError,), retry_backoff=30, max_retries=3)
def poll_connection(connection_id: int) -> int:
    from connections.models import Connection
    from connections.services import get_client
    from envelopes.sync import poll_connection as poll

    connection = Connection.objects.get(pk=connection_id)
    return poll(connection, get_client(connection)).calls


@shared_task
def poll_due_connections() -> list[int]:
    """Every minute (beat): start a poll for each ready connection whose interval is up."""
    from django.utils import timezone

    from connections.models import Connection
    from envelopes.models import Envelope
    from envelopes.sync import is_due

    now = timezone.now()
    due = [
        c.pk
        for c in Connection.objects.filter(
            envelopes__status__in=Envelope.OPEN_AT_DOCUSIGN
        ).distinct()
        if c.is_ready and is_due(c, now)
    ]
    for pk in due:
        poll_connection.delay(pk)
    return due
