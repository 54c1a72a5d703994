"""The one claim with a lease (common.claims), as envelope sends and bulk batches use it:
one worker at a time, a dead worker's claim taken over once its lease ran out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from envelopes.bulk.lifecycle import CLAIMS as BATCHES
from envelopes.models import BulkBatch, Envelope
from envelopes.sending.create import CLAIMS as ENVELOPES
from tests.factories import BulkBatchFactory, EnvelopeFactory

pytestmark = pytest.mark.django_db


def test_a_due_envelope_is_claimed_once_and_counts_an_attempt():
    envelope = EnvelopeFactory()
    claimed = ENVELOPES.take(envelope.pk)
    assert claimed is not None
    assert (claimed.status, claimed.send_attempts) == (Envelope.Status.SENDING, 1)
    assert ENVELOPES.take(envelope.pk) is None  # the claim is held: no second worker


def test_a_queued_envelope_not_yet_due_is_not_claimed():
    envelope = EnvelopeFactory(next_attempt_at=timezone.now() + timedelta(minutes=1))
    assert ENVELOPES.take(envelope.pk) is None


def test_a_dead_workers_claim_is_taken_over_only_after_its_lease(settings):
    settings.ENVELOPES_SEND_LEASE_SECONDS = 300
    now = timezone.now()
    fresh = EnvelopeFactory(status=Envelope.Status.SENDING, claimed_at=now - timedelta(seconds=60))
    dead = EnvelopeFactory(status=Envelope.Status.SENDING, claimed_at=now - timedelta(seconds=301))
    assert ENVELOPES.take(fresh.pk) is None
    taken = ENVELOPES.take(dead.pk)
    assert taken is not None
    assert taken.claimed_at > now - timedelta(seconds=5)
    assert list(Envelope.objects.filter(ENVELOPES.abandoned_before(timezone.now()))) == []


def test_release_gives_the_attempt_back_unless_something_reached_docusign():
    batch = BulkBatchFactory()
    assert BATCHES.take(batch.pk) is not None
    BATCHES.release(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.claimed_at) == (BulkBatch.Status.QUEUED, 0, None)
    assert BATCHES.take(batch.pk) is not None
    BATCHES.release(batch.pk, gives_back=False)
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == (BulkBatch.Status.QUEUED, 1)


def test_requeue_touches_only_a_row_still_claimed():
    batch = BulkBatchFactory()
    assert BATCHES.requeue(batch.pk, counts=True, error_detail="x") == 0  # never claimed
    assert BATCHES.take(batch.pk) is not None
    later = timezone.now() + timedelta(seconds=8)
    assert BATCHES.requeue(batch.pk, counts=True, next_attempt_at=later, error_detail="x") == 1
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.next_attempt_at) == ("queued", 1, later)
