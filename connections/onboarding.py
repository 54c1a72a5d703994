"""The setup wizard's steps as services: each saves as it goes, so setup can resume later."""

from django.db import transaction

from connections import keys
from connections.models import Connection
from connections.services import account_choices, enqueue_checks

KEY_NOT_UPLOADED = "no_valid_keys_or_signatures"


def public_key_for(connection: Connection) -> str:
    """The public half of the stored private key, to upload at DocuSign (not a secret)."""
    return keys.public_key_pem(keys.load_private_key(connection.private_key))


def key_not_uploaded(connection: Connection) -> bool:
    """The last JWT attempt says DocuSign does not know this key yet: upload it first."""
    return KEY_NOT_UPLOADED in connection.last_error_code  # e.g. invalid_grant/no_valid_…


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
