"""The setup wizard's steps as services: each saves as it goes, so setup can resume later."""

from copy import copy
from dataclasses import asdict
from typing import Any

from django.core.cache import cache
from django.db import transaction

from connections import keys
from connections.docusign.auth import UserAccount
from connections.health import CheckResult, run_check
from connections.models import Connection
from connections.services import enqueue_checks, save_connection

ACCOUNTS_KEY = "connections:accounts:{}"


def remember_accounts(connection: Connection, accounts: list[UserAccount]) -> None:
    """The check found several accounts: keep the choice for the wizard (an hour)."""
    cache.set(ACCOUNTS_KEY.format(connection.pk), [asdict(a) for a in accounts], 3600)


def account_choices(connection: Connection) -> list[dict[str, Any]]:
    return list(cache.get(ACCOUNTS_KEY.format(connection.pk)) or [])


KEY_NOT_UPLOADED = "no_valid_keys_or_signatures"


def public_key_for(connection: Connection) -> str:
    """The public half of the stored private key, to upload at DocuSign (not a secret)."""
    return keys.public_key_pem(keys.load_private_key(connection.private_key))


def key_not_uploaded(connection: Connection) -> bool:
    """The last JWT attempt says DocuSign does not know this key yet: upload it first."""
    return KEY_NOT_UPLOADED in connection.last_error_code  # e.g. invalid_grant/no_valid_…


def set_keypair(
    *, connection: Connection, private_key_pem: str = "", generate: bool = False
) -> str:
    """Store a pasted or generated key; returns the public key PEM when generated."""
    return save_connection(
        connection=connection, private_key_pem=private_key_pem, generate_keypair=generate
    )


@transaction.atomic
def choose_account(*, connection: Connection, account_id: str) -> None:
    chosen = next((a for a in account_choices(connection) if a["account_id"] == account_id), None)
    if chosen is None:
        raise ValueError("That account is not one of the user's accounts.")
    connection.account_id, connection.base_uri = account_id, ""  # the check fills the base URI
    connection.save(update_fields=["account_id", "base_uri", "updated_at"])
    enqueue_checks(connections=[connection])


@transaction.atomic
def promote_to_production(
    *, demo: Connection, name: str, user_id: str, user_email: str = ""
) -> Connection:
    """A production connection with the demo one's integration key and keypair (the same
    private key, encrypted again in the new row, never shown), for the production user.

    DocuSign copies the integration key to production at Go-Live; the production user
    consents again (consent is per environment) and the account and its regional base URI
    are discovered by the check. The demo connection stays for testing.
    """
    if demo.environment != Connection.Environment.DEMO:
        raise ValueError("Only a demo connection can be promoted.")
    production = Connection(
        name=name,
        environment=Connection.Environment.PRODUCTION,
        integration_key=demo.integration_key,
        user_id=user_id,
        user_email=user_email,
        private_key=demo.private_key,
        key_fingerprint=demo.key_fingerprint,
        is_default=not Connection.objects.filter(
            environment=Connection.Environment.PRODUCTION, is_default=True
        ).exists(),
    )
    production.full_clean()
    production.save()
    return production


def start_key_rotation(*, connection: Connection) -> str:
    """Generate the next keypair; the current key keeps working. Returns the public key PEM
    to add on DocuSign's Apps and Keys page (an integration key may hold 5 keypairs)."""
    pair = keys.generate_keypair()
    connection.pending_private_key = pair.private_pem
    connection.pending_key_fingerprint = pair.fingerprint
    connection.pending_key_error = ""
    connection.save(
        update_fields=[
            "pending_private_key",
            "pending_key_fingerprint",
            "pending_key_error",
            "updated_at",
        ]
    )
    return pair.public_pem


def finish_key_rotation(*, connection: Connection) -> CheckResult:
    """Check the pending key; only if DocuSign accepts it does it replace the current one."""
    if not connection.pending_private_key:
        raise ValueError("No key rotation is under way for this connection.")
    trial = copy(connection)
    trial.private_key = connection.pending_private_key
    trial.key_fingerprint = connection.pending_key_fingerprint
    result = run_check(trial)
    if result.error is not None:  # kept for staff: the admin shows it on the connection
        connection.pending_key_error = f"{result.error} {result.error.advice}"
        connection.save(update_fields=["pending_key_error", "updated_at"])
    elif result.ok:
        connection.private_key, connection.key_fingerprint = (
            trial.private_key,
            trial.key_fingerprint,
        )
        connection.pending_private_key = connection.pending_key_fingerprint = ""
        connection.pending_key_error = ""
        connection.save()  # the fingerprint is in the token cache key: old tokens are dropped
    return result
