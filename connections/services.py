"""Connection use cases, called by the admin, the wizard, commands and tasks alike."""

from django.db import transaction

from connections import keys
from connections.models import Connection


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
