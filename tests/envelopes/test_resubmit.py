"""A failed envelope, edited and sent again on the same row, over real HTTP (simulator)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import ApiCall
from envelopes.changes.resubmit import resubmit_envelope
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope
from envelopes.sending import create
from simulator import control
from simulator.models import SimEnvelope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"


@pytest.fixture
def no_worker(monkeypatch):
    from envelopes import tasks

    queued = []
    monkeypatch.setattr(tasks.send_envelope, "delay", queued.append)
    return queued


def failed_envelope(connection):
    envelope = prepare.prepare_envelope(
        connection=connection,
        sender=UserFactory(username="sam"),
        subject="Contract",
        recipients=[RecipientInput("Ann", "ann@example.com")],
        uploads=[SimpleUploadedFile("doc.pdf", PDF)],
    )
    # DocuSign refuses the create outright (a 400 verdict, not retryable).
    control.inject_fault(status=400, count=1, operation=control.CREATE)
    failed = create.send_envelope(envelope_id=str(envelope.pk))
    assert failed is not None
    assert failed.status == Envelope.Status.FAILED
    return failed


def test_a_refused_create_leaves_no_create_in_flight(simulator_connection, no_worker):
    envelope = failed_envelope(simulator_connection)
    # Nothing exists at DocuSign: a later send must not look for it nor wait to settle.
    assert envelope.create_started_at is None


def test_a_failed_envelope_is_edited_and_sent_again_at_once_on_the_same_row(
    simulator_connection, no_worker
):
    envelope = failed_envelope(simulator_connection)
    documents_before = list(envelope.documents.values_list("sha256", flat=True))
    resubmit_envelope(
        envelope=envelope,
        actor=envelope.sender,
        subject="Contract (fixed)",
        message="Second try",
        recipients=[RecipientInput("Bea", "bea@example.com")],
    )
    assert no_worker[-1] == str(envelope.pk)
    searches_before = ApiCall.objects.filter(method="GET", path="/envelopes").count()
    envelope = create.send_envelope(envelope_id=str(envelope.pk))
    # Sent at once: no look-up, no wait out the settle window.
    assert envelope.status == Envelope.Status.SENT
    assert ApiCall.objects.filter(method="GET", path="/envelopes").count() == searches_before
    sim = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    assert sim.email_subject == "Contract (fixed)"
    assert [r.email for r in sim.recipients.all()] == ["bea@example.com"]
    assert list(envelope.documents.values_list("sha256", flat=True)) == documents_before
    kinds = [e.kind for e in envelope.events.all()]
    assert kinds.index("failed") < kinds.index("resubmitted") < kinds.index("sent")
    assert envelope.events.get(kind="resubmitted").actor == envelope.sender


def test_only_failed_envelopes_are_resubmitted_and_bad_edits_change_nothing(
    simulator_connection, no_worker
):
    envelope = failed_envelope(simulator_connection)
    with pytest.raises(ValidationError, match="not an email address"):
        resubmit_envelope(
            envelope=envelope,
            actor=envelope.sender,
            subject="X",
            message="",
            recipients=[RecipientInput("Bea", "not-an-email")],
        )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.FAILED
    assert [r.email for r in envelope.recipients.all()] == ["ann@example.com"]
    Envelope.objects.filter(pk=envelope.pk).update(status=Envelope.Status.SENT)
    envelope.refresh_from_db()
    with pytest.raises(ValidationError, match="Only a failed envelope"):
        resubmit_envelope(
            envelope=envelope,
            actor=envelope.sender,
            subject="X",
            message="",
            recipients=[RecipientInput("Bea", "bea@example.com")],
        )
