"""Replacing a connection's RSA keypair without downtime: the new key is tried first.

An integration key may hold several keypairs at DocuSign, so the next key is generated
and uploaded while the current one keeps working; only a passing check swaps them.
"""

from copy import copy

from connections import keys
from connections.health import CheckResult, run_check
from connections.models import Connection


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
