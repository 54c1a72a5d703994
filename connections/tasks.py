"""Celery tasks for connections: thin wrappers that call services."""

from celery import shared_task

from connections import consent, key_rotation, services
from connections.models import Connection, ConsentRequest


@shared_task
def check_connection(connection_id: int) -> bool:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return False
    return services.check_connection(connection=connection).ok


@shared_task
def confirm_consent(consent_request_id: str) -> str:
    """After "Allow access": does DocuSign hold consent for the connection's user now?"""
    request = ConsentRequest.objects.select_related("connection").get(pk=consent_request_id)
    return consent.confirm(request).outcome


@shared_task
def send_consent_email(consent_request_id: str) -> None:
    consent.send_email(
        ConsentRequest.objects.select_related("connection", "requested_by").get(
            pk=consent_request_id
        )
    )


@shared_task
def finish_key_rotation(connection_id: int) -> bool:
    connection = Connection.objects.get(pk=connection_id)
    return key_rotation.finish_key_rotation(connection=connection).ok
