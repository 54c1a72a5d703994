"""Exactly one envelope per send, over real HTTP against the simulator, with DocuSign slow:
creates that outlive the read timeout, a search index that lags, look-ups that return
envelopes not ours, workers that die mid-send; and the reconciliation that cleans up."""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from connections.docusign import esignature
from connections.installation import installation_id
from connections.models import ApiCall
from connections.services import get_client
from envelopes import retries
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope
from envelopes.sending import create as sending
from envelopes.sending.definitions import build_definition
from envelopes.tracking import polling
from envelopes.tracking.sweeps import sweep_stuck_work
from simulator import control
from simulator.models import SimEnvelope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"


@pytest.fixture
def no_worker(monkeypatch):
    """We play the worker ourselves: queued tasks are recorded, not run."""
    from envelopes import tasks

    queued = []
    monkeypatch.setattr(tasks.send_envelope, "delay", queued.append)
    return queued


def short_timeouts(settings, connection, *, read=1.0, lag=0.0):
    """A token first (minting is slow on a busy machine), then short read timeouts."""
    get_client(connection).token_provider.get()
    settings.DOCUSIGN_READ_TIMEOUT = read
    settings.DOCUSIGN_SEARCH_LAG_SECONDS = lag


@pytest.fixture
def slow_docusign(settings, simulator_connection):
    """Our read timeout 1 s; DocuSign's search shows an envelope 3 s after creating it."""
    short_timeouts(settings, simulator_connection, read=1.0, lag=3.5)
    control.configure(search_lag_seconds=3.0)


def queue_one(connection, n=1):
    return prepare.prepare_envelope(
        connection=connection,
        sender=UserFactory(username="sam"),
        subject=f"Contract {n}",
        recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
        uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
    )


def due_now(envelope):
    """Skip the wait the envelope was given (time passing, without sleeping through it)."""
    Envelope.objects.filter(pk=envelope.pk).update(next_attempt_at=timezone.now())


def creates():
    return ApiCall.objects.filter(method="POST", path="/envelopes").count()


def past_the_settle_window():
    return timezone.now() + retries.settle_window() + timedelta(seconds=1)


def wait_for_docusign_to_finish(count=1):
    deadline = time.monotonic() + 10
    while SimEnvelope.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_slow_create_is_never_repeated_while_the_search_cannot_see_it_yet(
    simulator_connection, slow_docusign, no_worker
):
    envelope = queue_one(simulator_connection)
    # DocuSign makes the envelope after 2.5 s: long after we stopped waiting (1 s).
    control.slow_creates(seconds=2.5)
    envelope = sending.send_envelope(envelope_id=str(envelope.pk))
    assert envelope.status == Envelope.Status.QUEUED
    assert envelope.create_started_at is not None
    assert envelope.next_attempt_at > timezone.now()
    wait_for_docusign_to_finish()
    assert SimEnvelope.objects.count() == 1

    # The retry comes while DocuSign's search does not show the envelope yet: no create.
    due_now(envelope)
    envelope = sending.send_envelope(envelope_id=str(envelope.pk))
    assert envelope.status == Envelope.Status.QUEUED
    assert creates() == 1
    assert SimEnvelope.objects.count() == 1
    assert "may still be making it" in envelope.events.last().detail

    # Once the search shows it, the retry links it: still one envelope, one create.
    time.sleep(3.1)
    due_now(envelope)
    envelope = sending.send_envelope(envelope_id=str(envelope.pk))
    assert envelope.status == Envelope.Status.SENT
    assert envelope.docusign_envelope_id == SimEnvelope.objects.get().envelope_id
    assert creates() == 1
    assert "recovered" in [e.kind for e in envelope.events.all()]


def test_after_the_settle_window_a_create_that_never_happened_is_made(
    simulator_connection, settings, no_worker
):
    short_timeouts(settings, simulator_connection, read=1.0, lag=0.5)
    envelope = queue_one(simulator_connection)
    # The create never reached DocuSign's database (it failed late): outcome unknown.
    control.inject_fault(status=503, count=1, operation=control.CREATE, delay_ms=1500)
    envelope = sending.send_envelope(envelope_id=str(envelope.pk))
    assert envelope.status == Envelope.Status.QUEUED
    time.sleep(1.6)  # past read timeout + search lag
    due_now(envelope)
    envelope = sending.send_envelope(envelope_id=str(envelope.pk))
    assert envelope.status == Envelope.Status.SENT
    assert SimEnvelope.objects.count() == 1
    assert creates() == 2


def test_a_look_up_that_returns_someone_elses_envelope_is_not_taken_for_ours(
    simulator_connection, settings, monkeypatch, no_worker
):
    short_timeouts(settings, simulator_connection, read=5.0, lag=0.5)
    other = queue_one(simulator_connection, n=2)
    sending.send_envelope(envelope_id=str(other.pk))  # a real envelope, not ours
    ours = queue_one(simulator_connection, n=1)
    Envelope.objects.filter(pk=ours.pk).update(
        create_started_at=timezone.now() - timedelta(seconds=10)
    )

    def unfiltered(client, *, custom_field, value, since):
        # A look-up whose filter DocuSign ignored: every recent envelope comes back.
        body = client.get_json(
            "/envelopes", params={"from_date": since.isoformat(), "include": "custom_fields"}
        )
        return body["envelopes"]

    monkeypatch.setattr(esignature, "find_envelopes", unfiltered)
    ours = sending.send_envelope(envelope_id=str(ours.pk))
    other.refresh_from_db()
    assert ours.status == Envelope.Status.SENT
    assert ours.docusign_envelope_id != other.docusign_envelope_id
    remote = SimEnvelope.objects.get(envelope_id=ours.docusign_envelope_id)
    assert remote.custom_fields == {
        "countersign_id": str(ours.pk),
        "countersign_installation": installation_id(),
    }


def test_a_worker_killed_mid_create_is_recovered_by_the_sweep_without_a_duplicate(
    simulator_connection, settings, no_worker
):
    settings.DOCUSIGN_SEARCH_LAG_SECONDS = 0
    settings.ENVELOPES_SEND_LEASE_SECONDS = 60
    envelope = queue_one(simulator_connection)
    # The worker claimed it, sent the create (DocuSign made the envelope), then died.
    started = timezone.now() - timedelta(minutes=5)
    Envelope.objects.filter(pk=envelope.pk).update(
        status=Envelope.Status.SENDING,
        claimed_at=started,
        create_started_at=started,
        send_attempts=1,
    )
    esignature.create_envelope(get_client(simulator_connection), build_definition(envelope))

    counts = sweep_stuck_work(now=timezone.now() + timedelta(seconds=61))
    assert counts["claims"] == 1
    # The sweep put it back and queued the task; run it as the worker would.
    assert no_worker == [str(envelope.pk)] * 2  # queued at first, then by the sweep
    sending.send_envelope(envelope_id=no_worker[-1])
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    assert SimEnvelope.objects.count() == 1
    assert creates() == 1
    assert [e.kind for e in envelope.events.all()][-3:] == ["claim-expired", "recovered", "sent"]


def reconcile(connection):
    """One status poll (its listing is what reconciliation reads), once the settle window
    has passed for everything made so far."""
    return polling.poll_connection(connection, get_client(connection), now=past_the_settle_window())


def test_reconciliation_links_a_lost_envelope_voids_duplicates_and_leaves_orphans(
    simulator_connection, settings, no_worker, caplog
):
    client = get_client(simulator_connection)
    # A row that gave up (failed) though its create had reached DocuSign, twice.
    lost = queue_one(simulator_connection, n=1)
    first = esignature.create_envelope(client, build_definition(lost))["envelopeId"]
    time.sleep(0.05)
    second = esignature.create_envelope(client, build_definition(lost))["envelopeId"]
    Envelope.objects.filter(pk=lost.pk).update(
        status=Envelope.Status.FAILED, error_detail="x", create_started_at=timezone.now()
    )
    # A row that is sent, and a stray copy of it.
    sent = queue_one(simulator_connection, n=2)
    sending.send_envelope(envelope_id=str(sent.pk))
    sent.refresh_from_db()
    stray = esignature.create_envelope(client, build_definition(sent))["envelopeId"]
    # An envelope whose row does not exist (deleted, or a database restored from before).
    orphan_row = queue_one(simulator_connection, n=3)
    orphan = esignature.create_envelope(client, build_definition(orphan_row))["envelopeId"]
    Envelope.objects.filter(pk=orphan_row.pk).delete()

    result = reconcile(simulator_connection)

    lost.refresh_from_db()
    assert lost.status == Envelope.Status.SENT
    assert lost.docusign_envelope_id == first
    assert lost.error_detail == ""
    status = dict(SimEnvelope.objects.values_list("envelope_id", "status"))
    assert status[first] == "sent"
    assert status[second] == status[stray] == "voided"
    assert status[orphan] == "sent"  # not provably a duplicate of anything: left alone
    assert status[sent.docusign_envelope_id] == "sent"
    assert len(result.reconciled.actions) == 2
    assert (result.reconciled.no_row, result.reconciled.not_ours) == (1, 0)
    kinds = [e.kind for e in lost.events.all()]
    assert "reconciled" in kinds
    assert "duplicate" in kinds
    assert "duplicate" in [e.kind for e in sent.events.all()]
    assert f"Voided duplicate DocuSign envelope {stray}" in caplog.text

    # Run again: nothing left to do; the orphan is still only counted.
    again = reconcile(simulator_connection)
    assert again.reconciled.actions == []
    assert again.reconciled.no_row == 1
    assert SimEnvelope.objects.get(envelope_id=orphan).status == "sent"


def test_reconciliation_leaves_a_send_that_is_still_deciding_alone(
    simulator_connection, settings, no_worker
):
    envelope = queue_one(simulator_connection)
    Envelope.objects.filter(pk=envelope.pk).update(
        status=Envelope.Status.SENDING,
        claimed_at=timezone.now(),
        create_started_at=timezone.now(),
        send_attempts=1,
    )
    esignature.create_envelope(get_client(simulator_connection), build_definition(envelope))
    result = reconcile(simulator_connection)
    assert result.calls == 1  # the unknown create is what the listing looks for
    assert result.reconciled.actions == []
    envelope.refresh_from_db()
    assert envelope.docusign_envelope_id == ""
    assert SimEnvelope.objects.get().status == "sent"
