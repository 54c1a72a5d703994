"""The shared factories make valid rows in the states their traits name."""

import pytest
from django.contrib.auth.models import Permission

from envelopes.documents.kept import read_decrypted
from envelopes.models import BulkBatch, ConnectEvent, Envelope, EnvelopeChange, Recipient
from tests import factories
from tests.factories import PDF

pytestmark = pytest.mark.django_db

EVERY_FACTORY = [
    factories.UserFactory,
    factories.TeamFactory,
    factories.ConnectionFactory,
    factories.ApiCallFactory,
    factories.ConsentRequestFactory,
    factories.InstallationFactory,
    factories.DocumentTemplateFactory,
    factories.EnvelopeFactory,
    factories.RecipientFactory,
    factories.DocumentFactory,
    factories.EnvelopeEventFactory,
    factories.EnvelopeChangeFactory,
    factories.ConnectEventFactory,
    factories.SignedDocumentFactory,
    factories.SyncCursorFactory,
    factories.BulkBatchFactory,
]


@pytest.mark.parametrize("factory", EVERY_FACTORY, ids=lambda f: f.__name__)
def test_every_factory_makes_a_row_the_models_validation_accepts(factory):
    row = factory()
    row.full_clean(exclude=["password"])
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("trait", "status"),
    [
        ("sent", Envelope.Status.SENT),
        ("delivered", Envelope.Status.DELIVERED),
        ("completed", Envelope.Status.COMPLETED),
        ("declined", Envelope.Status.DECLINED),
        ("voided", Envelope.Status.VOIDED),
    ],
)
def test_an_envelope_at_docusign_has_its_id_and_status(trait, status):
    envelope = factories.EnvelopeFactory(**{trait: True})
    assert envelope.status == status
    assert envelope.docusign_envelope_id
    assert envelope.sent_at is not None
    assert (envelope.completed_at is not None) == (trait == "completed")


def test_a_failed_envelope_never_reached_docusign_and_says_why():
    envelope = factories.EnvelopeFactory(failed=True)
    assert envelope.status == Envelope.Status.FAILED
    assert envelope.is_final
    assert envelope.docusign_envelope_id == ""
    assert envelope.error_code


def test_an_outside_envelope_has_no_sender():
    envelope = factories.EnvelopeFactory(outside=True)
    assert envelope.is_outside
    assert envelope.sender is None


def test_recipients_are_numbered_within_their_envelope():
    envelope = factories.EnvelopeFactory()
    first, second = factories.RecipientFactory.create_batch(2, envelope=envelope)
    assert (first.recipient_id, second.recipient_id) == ("1", "2")
    assert factories.RecipientFactory().recipient_id == "1"


def test_a_signed_recipient_went_through_every_step():
    recipient = factories.RecipientFactory(signed=True)
    assert recipient.status == Recipient.Status.COMPLETED
    assert None not in (recipient.sent_at, recipient.delivered_at, recipient.completed_at)


def test_an_in_app_signer_is_the_app_user_with_their_email():
    recipient = factories.RecipientFactory(in_app=True, name="erin", email="erin@example.com")
    assert recipient.embedded
    assert recipient.user.email == "erin@example.com"
    assert recipient.client_user_id


def test_documents_are_stored_encrypted_and_read_back():
    document = factories.DocumentFactory(content=b"%PDF-1.4 hello")
    with open(document.file.path, "rb") as raw:  # on disk, past the decrypting storage
        assert b"hello" not in raw.read()
    with document.file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 hello"
    kept = factories.SignedDocumentFactory()
    assert b"".join(read_decrypted(kept)) == PDF
    assert kept.size == len(PDF)


def test_users_get_the_permissions_roles_and_teams_asked_for():
    team = factories.TeamFactory()
    user = factories.UserFactory(
        permissions=["envelopes.add_envelope"], roles=["Auditors"], teams=[team]
    )
    assert user.has_perm("envelopes.add_envelope")
    assert user.has_perm("envelopes.view_all_envelopes")
    assert list(team.members.all()) == [user]
    with pytest.raises(Permission.DoesNotExist):
        factories.UserFactory(permissions=["no_such_permission"])


def test_the_other_traits_give_the_states_they_name():
    assert factories.EnvelopeChangeFactory(failed=True).status == EnvelopeChange.Status.FAILED
    assert factories.ConnectEventFactory(parked=True).parked_at is not None
    assert factories.ConnectEventFactory().body["data"]["envelopeId"]
    assert factories.BulkBatchFactory(finished=True).status == BulkBatch.Status.FINISHED
    assert factories.BulkBatchFactory(finished=True, size=3).sent_count == 3
    assert factories.ConnectionFactory(connected=True).status == "connected"
    assert ConnectEvent.objects.count() == 2
