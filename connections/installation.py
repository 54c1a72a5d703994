"""The installation id: made once, kept in the database, carried by every envelope we create.

A DocuSign account can be shared by several connections and by several installations of
Countersign (staging and production on one demo account). Reconciliation acts only on
envelopes carrying this id; what another installation (or older code, which set no id) made
is left alone. Not cached in the process: a restored or copied database brings its own id.
"""

from connections.models import Installation


def installation_id() -> str:
    """This installation's id (made on first use; the row's primary key makes it one)."""
    installation, _ = Installation.objects.get_or_create(pk=1)
    return str(installation.installation_id)
