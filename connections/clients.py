"""Builds DocuSign clients for a connection from settings, with the ApiCall audit hook."""

import logging
from functools import partial

from django.conf import settings
from django.db import DatabaseError

from connections.docusign.auth import AuthServer, consent_url, scope_string
from connections.docusign.client import DocuSignClient, TokenProvider
from connections.docusign.errors import DocuSignError
from connections.docusign.transport import CallRecord, Transport
from connections.models import ApiCall, Connection

logger = logging.getLogger("countersign.docusign")


class ConnectionNotReady(DocuSignError):
    title = "The connection is not set up yet"
    default_code = "connection_not_ready"
    advice = (
        "This connection still lacks its RSA key, account ID or base URI. Finish the setup "
        "wizard or run the connection check, which discovers the account from DocuSign."
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


def consent_redirect_uri() -> str:
    return f"{settings.SITE_URL}/connections/consent/return/"


def consent_link(connection: Connection, *, state: str = "") -> str:
    """The individual-consent URL for the connection's impersonated user."""
    return consent_url(
        connection.auth_server,
        connection.integration_key,
        consent_redirect_uri(),
        scope_string(settings.DOCUSIGN_SCOPES),
        state,
    )


def build_client(
    connection: Connection, token_provider: TokenProvider, *, interactive: bool = False
) -> DocuSignClient:
    """`interactive`: a person is waiting for this call; it may use the reserved budget."""
    from connections.budget import SharedBudget

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
