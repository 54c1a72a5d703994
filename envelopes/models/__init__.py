"""The envelopes app's models, one module per subject; Django and callers import them here."""

from envelopes.models.bulk import BulkBatch
from envelopes.models.documents import SignedDocument
from envelopes.models.envelopes import Document, DocumentTemplate, Envelope, Recipient
from envelopes.models.events import ConnectEvent, EnvelopeChange, EnvelopeEvent, SyncCursor

__all__ = [
    "BulkBatch",
    "ConnectEvent",
    "Document",
    "DocumentTemplate",
    "Envelope",
    "EnvelopeChange",
    "EnvelopeEvent",
    "Recipient",
    "SignedDocument",
    "SyncCursor",
]
