"""factory_boy factories for every model of the product (the simulator's tests seed it
through simulator.seed instead). Each module covers one app."""

from tests.factories.accounts import TeamFactory, UserFactory, permissions
from tests.factories.connections import (
    ApiCallFactory,
    ConnectionFactory,
    ConsentRequestFactory,
    InstallationFactory,
)
from tests.factories.envelopes import (
    PDF,
    BulkBatchFactory,
    ConnectEventFactory,
    DocumentFactory,
    DocumentTemplateFactory,
    EnvelopeChangeFactory,
    EnvelopeEventFactory,
    EnvelopeFactory,
    RecipientFactory,
    SignedDocumentFactory,
    SyncCursorFactory,
)

__all__ = [
    "PDF",
    "ApiCallFactory",
    "BulkBatchFactory",
    "ConnectEventFactory",
    "ConnectionFactory",
    "ConsentRequestFactory",
    "DocumentFactory",
    "DocumentTemplateFactory",
    "EnvelopeChangeFactory",
    "EnvelopeEventFactory",
    "EnvelopeFactory",
    "InstallationFactory",
    "RecipientFactory",
    "SignedDocumentFactory",
    "SyncCursorFactory",
    "TeamFactory",
    "UserFactory",
    "permissions",
]
