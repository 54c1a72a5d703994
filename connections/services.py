"""Connection use cases, called by the admin, the wizard, commands and tasks alike."""

from dataclasses import asdict
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from common.dispatch import enqueue_on_commit
from connections import keys
from connections.credentials import api_client_for
from connections.docusign.auth import UserAccount
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import (
    AccountChoiceNeeded,
    AccountNotAccessible,
    AuthenticationFailed,
    BaseUriMismatch,
    ConnectionNotReady,
    ConsentRequired,
    DocuSignError,
    HostNotAllowed,
    InvalidGrant,
    KeyNotLoadable,
)
from connections.health import CheckResult, run_check
from connections.models import Connection
from connections.signals import connection_healthy
from connections.tokens import ConnectionTokenProvider

# Failures of the connection, not of the work using it: consent, setup, keys, the account.
# Staff fix each once for the whole connection, so work meeting one waits for it to be fixed
# (envelopes.sending.waiting) instead of failing.
CONNECTION_PROBLEMS: tuple[type[DocuSignError], ...] = (
    ConnectionNotReady,
    ConsentRequired,
    InvalidGrant,
    KeyNotLoadable,
    AccountNotAccessible,
    AccountChoiceNeeded,
    BaseUriMismatch,
    HostNotAllowed,
    AuthenticationFailed,
)


def is_connection_problem(error: DocuSignError) -> bool:
    return isinstance(error, CONNECTION_PROBLEMS)


@transaction.atomic
def save_connection(
    *, connection: Connection, private_key_pem: str = "", generate_keypair: bool = False
) -> str:
    """Validate and save `connection`, optionally with a pasted or freshly generated key.

    Returns the public key PEM when one was generated (for DocuSign's "upload public key"),
    otherwise "". The private key itself is never returned.
    """
    public_pem = ""
    if generate_keypair:
        pair = keys.generate_keypair()
        connection.private_key = pair.private_pem
        connection.key_fingerprint = pair.fingerprint
        public_pem = pair.public_pem
    elif private_key_pem:
        connection.set_private_key(private_key_pem)
    connection.full_clean()
    connection.save()
    return public_pem


def check_connection(*, connection: Connection) -> CheckResult:
    """Run every step of the connection check and record the outcome on the connection."""
    result = run_check(connection)
    if result.accounts:
        remember_accounts(connection, result.accounts)
    connection.last_checked_at = timezone.now()
    error = result.error
    if error is None:
        connection.status = Connection.Status.CONNECTED
        connection.last_error_code = connection.last_error_detail = ""
    else:
        connection.status = (
            Connection.Status.AWAITING_CONSENT
            if isinstance(error, ConsentRequired)
            else Connection.Status.FAILING
        )
        connection.last_error_code = error.error_code[:100]
        connection.last_error_detail = error.with_advice
    connection.save()
    if error is None:
        transaction.on_commit(
            partial(connection_healthy.send, sender=Connection, connection=connection)
        )
    return result


ACCOUNTS_KEY = "connections:accounts:{}"


def remember_accounts(connection: Connection, accounts: list[UserAccount]) -> None:
    """The check found several accounts: keep the choice for the wizard (an hour)."""
    cache.set(ACCOUNTS_KEY.format(connection.pk), [asdict(a) for a in accounts], 3600)


def account_choices(connection: Connection) -> list[dict[str, Any]]:
    return list(cache.get(ACCOUNTS_KEY.format(connection.pk)) or [])


def get_client(connection: Connection, *, interactive: bool = False) -> DocuSignClient:
    """The eSignature client for `connection`, with cached tokens, an ApiCall audit trail and
    the account's shared API budget (`interactive`: a person waits, see connections.budget)."""
    if not connection.is_ready:
        raise ConnectionNotReady(f"connection {connection.name!r} is not ready")
    return api_client_for(connection, ConnectionTokenProvider(connection), interactive=interactive)


def enqueue_checks(*, connections: list[Connection]) -> list[str]:
    """Check connections in a worker (web requests never wait on DocuSign)."""
    for connection in connections:
        enqueue_on_commit("connections.tasks.check_connection", connection.pk)
    return [c.name for c in connections]


def set_connect_keys(*, connection: Connection, keys: str) -> None:
    """Replace the Connect HMAC keys (one per line), stored encrypted."""
    connection.connect_hmac_secrets = keys
    connection.save(update_fields=["connect_hmac_secrets", "updated_at"])


def note_failure(*, connection: Connection, error: DocuSignError) -> None:
    """A DocuSign call failed outside the check: a problem of the connection itself shows on
    it at once (`awaiting_consent` for consent, else `failing`, with the fix), so the
    connection never reads "connected" while its calls fail, and staff can act."""
    if not is_connection_problem(error):
        return
    connection.status = (
        Connection.Status.AWAITING_CONSENT
        if isinstance(error, ConsentRequired)
        else Connection.Status.FAILING
    )
    connection.last_error_code = error.error_code[:100]
    connection.last_error_detail = error.with_advice
    Connection.objects.filter(pk=connection.pk).update(
        status=connection.status,
        last_error_code=connection.last_error_code,
        last_error_detail=connection.last_error_detail,
        updated_at=timezone.now(),
    )
