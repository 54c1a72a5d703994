"""One definition of "stuck" (envelopes.tracking.stuck): what the status page and metrics count is
exactly what the sweep restarts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from envelopes import selectors
from envelopes.models import Envelope
from envelopes.tracking import sweeps
from tests.factories import ConnectionFactory, EnvelopeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(settings):
    settings.ENVELOPES_QUEUED_GRACE_SECONDS = 60  # the lease stays 5 minutes
    connection, sender = ConnectionFactory(), UserFactory()
    now = timezone.now()

    def make(subject, status, **fields):
        envelope = EnvelopeFactory(
            connection=connection, sender=sender, subject=subject, status=status
        )
        Envelope.objects.filter(pk=envelope.pk).update(**fields)
        return envelope.pk

    return now, {
        # Queued two minutes ago and never taken: its task was lost (past the grace period,
        # not yet past the lease: the old page definition missed it).
        "lost task": make("a", "queued", updated_at=now - timedelta(minutes=2)),
        # Rescheduled long ago for when the hourly budget returns, in 20 minutes: waiting, not
        # stuck (the old page definition counted it because its row is old).
        "rescheduled": make(
            "b",
            "queued",
            updated_at=now - timedelta(minutes=40),
            next_attempt_at=now + timedelta(minutes=20),
        ),
        "dead claim": make("c", "sending", claimed_at=now - timedelta(minutes=6)),
        "live claim": make("d", "sending", claimed_at=now - timedelta(minutes=1)),
        "fresh": make("e", "queued", updated_at=now),
    }


def test_the_page_counts_what_the_sweep_restarts_and_nothing_else(rows, monkeypatch):
    now, pk = rows
    counted = set(selectors.stuck_envelopes(now).values_list("pk", flat=True))
    assert counted == {pk["lost task"], pk["dead claim"]}

    restarted = []
    monkeypatch.setattr(sweeps, "_dispatch_send", restarted.append)
    counts = sweeps.sweep_stuck_work(now=now)
    assert set(restarted) == counted
    assert (counts["queued"], counts["claims"]) == (1, 1)


def test_a_rescheduled_send_becomes_stuck_only_once_it_is_due_and_untaken(rows, monkeypatch):
    now, pk = rows
    later = now + timedelta(minutes=22)  # due two minutes ago, nobody took it
    assert pk["rescheduled"] in set(selectors.stuck_envelopes(later).values_list("pk", flat=True))
    restarted = []
    monkeypatch.setattr(sweeps, "_dispatch_send", restarted.append)
    sweeps.sweep_stuck_work(now=later)
    assert pk["rescheduled"] in restarted
