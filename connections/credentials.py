"""A connection's way in to DocuSign: its credentials, transports and clients.

Everything here is built from the `Connection` row and the settings, once per use, and
handed to the Django-free `connections.docusign` package. Every call is audited as an
`ApiCall` row.
"""

import logging
from functools import partial

from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse

from connections.budget import SharedBudget
from connections.docusign.auth import AuthServer, Credentials, scope_string
from connections.docusign.client import DocuSignClient, TokenProvider
from connections.docusign.transport import CallRecord, Transport
from connections.models import ApiCall, Connection

logger = logging.getLogger("countersign.docusign")


def credentials_for(connection: Connection) -> Credentials:
    return Credentials(
        integration_key=connection.integration_key,
        user_id=connection.user_id,
        auth_server=connection.auth_server,
        scopes=scope_string(settings.DOCUSIGN_EXTRA_SCOPES),
        private_key_pem=connection.private_key,
    )


def transport_for(connection: Connection) -> Transport:
    return Transport(
        connect_timeout=settings.DOCUSIGN_CONNECT_TIMEOUT,
        read_timeout=settings.DOCUSIGN_READ_TIMEOUT,
        ca_bundle=settings.DOCUSIGN_CA_BUNDLE,
        on_call=partial(record_api_call, connection=connection),
    )


def auth_server_for(connection: Connection) -> AuthServer:
    return AuthServer(url=connection.auth_server, transport=transport_for(connection))


def api_client_for(
    connection: Connection, token_provider: TokenProvider, *, interactive: bool = False
) -> DocuSignClient:
    """`interactive`: a person is waiting for this call; it may use the reserved budget."""

    return DocuSignClient(
        base_uri=connection.base_uri,
        account_id=connection.account_id,
        token_provider=token_provider,
        allowed_hosts=settings.DOCUSIGN_ALLOWED_API_HOSTS,
        allow_http_loopback=settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK,
        connect_timeout=settings.DOCUSIGN_CONNECT_TIMEOUT,
        read_timeout=settings.DOCUSIGN_READ_TIMEOUT,
        ca_bundle=settings.DOCUSIGN_CA_BUNDLE,
        on_call=partial(record_api_call, connection=connection),
        budget=SharedBudget(connection.account_id, interactive=interactive),
    )


def record_api_call(record: CallRecord, *, connection: Connection) -> None:
    """The audit row for one DocuSign call: a path template, never a token or a body.

    A failure to write it is logged, never raised: the DocuSign call has already happened,
    and losing its answer (say, a new envelope's ID) would be worse than a missing row.
    """
    try:
        _create_api_call(record, connection)
    except DatabaseError:
        logger.exception(
            "Could not record DocuSign call %s %s", record.method, record.path_template
        )


def _create_api_call(record: CallRecord, connection: Connection) -> None:
    ApiCall.objects.create(
        connection=connection if connection.pk else None,
        integration_key=connection.integration_key,
        account_id=connection.account_id,
        method=record.method,
        path=record.path_template[:255],
        status_code=record.status,
        duration_ms=record.duration_ms,
        error_code=record.error_code[:100],
        rate_limit_remaining=record.rate_limit_remaining,
    )


def redirect_uri() -> str:
    """Where DocuSign sends the user back; registered on the integration key."""
    return settings.SITE_URL + reverse("connections:consent-return")


def consent_link(connection: Connection, *, state: str = "") -> str:
    """The individual-consent URL for the connection's impersonated user."""
    return credentials_for(connection).consent_url(redirect_uri(), state)
