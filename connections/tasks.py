"""Celery tasks for connections: thin wrappers that call services."""

from celery import shared_task


@shared_task
def check_connection(connection_id: int) -> bool:
    from connections.models import Connection
    from connections.services import check_connection as run

    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return False
    return run(connection=connection).ok


@shared_task
def confirm_consent(consent_request_id: str) -> str:
    """After "Allow access": does DocuSign hold consent for the connection's user now?"""
    from connections.consent import confirm
    from connections.models import ConsentRequest

    request = ConsentRequest.objects.select_related("connection").get(pk=consent_request_id)
    return confirm(request).outcome


@shared_task
def send_consent_email(consent_request_id: str) -> None:
    from connections.consent import send_email
    from connections.models import ConsentRequest

    send_email(
        ConsentRequest.objects.select_related("connection", "requested_by").get(
            pk=consent_request_id
        )
    )


@shared_task
def finish_key_rotation(connection_id: int) -> bool:
    from connections.key_rotation import finish_key_rotation as finish
    from connections.models import Connection

    return finish(connection=Connection.objects.get(pk=connection_id)).ok
