"""Transient is never final: work meeting a problem of its connection (consent withdrawn, a
connection not ready, an unreadable token) waits and resumes by itself, staff are told once
per connection, voids are never dropped, and our own infrastructure failing never counts as
a DocuSign attempt. Over real HTTP against the simulator."""

from datetime import timedelta

import pytest
import redis
from cryptography.fernet import Fernet
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from connections import consent, tokens
from connections.fields import DecryptionFailed, decrypt
from connections.models import Connection
from envelopes import tasks
from envelopes.changes import corrections
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope, EnvelopeChange
from envelopes.sending import create, voids
from envelopes.tracking.sweeps import sweep_stuck_work
from simulator.models import SimConsent, SimEnvelope
from simulator.oauth import services as sim_oauth

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"
LATER = timedelta(minutes=10)
QUEUED = 20


def queue(connection, sender, n):
    return prepare.prepare_envelope(
        connection=connection,
        sender=sender,
        subject=f"Contract {n}",
        recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
        uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
    )


@pytest.fixture
def work(simulator_connection, sender, monkeypatch):
    """Two envelopes out for signature (one to void, one to resend) and QUEUED sends whose
    tasks have not run yet."""
    to_void, to_resend = (queue(simulator_connection, sender, n) for n in (0, 1))
    monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)
    queued = [queue(simulator_connection, sender, n) for n in range(2, 2 + QUEUED)]
    monkeypatch.undo()
    return to_void, to_resend, queued


def start_everything(to_void, to_resend, queued, sender):
    """The queued sends' tasks run, a void and a resend are asked for (inline tasks)."""
    for envelope in queued:
        tasks.send_envelope.delay(str(envelope.pk))
    to_void.refresh_from_db()
    voids.request_void(envelope=to_void, reason="Wrong amount")
    to_resend.refresh_from_db()
    return corrections.request_resend(envelope=to_resend, actor=sender)


def assert_all_waiting(connection, to_void, queued, change, reason):
    for envelope in queued:
        envelope.refresh_from_db()
        assert envelope.status == Envelope.Status.QUEUED  # never failed
        assert envelope.waiting_since is not None
        assert reason in envelope.waiting_reason
        assert "resumes by itself" in envelope.waiting_reason
        assert envelope.send_attempts == 0  # the connection's problem is no attempt
    to_void.refresh_from_db()
    assert to_void.status == Envelope.Status.SENT
    assert to_void.void_requested_at is not None  # the void is kept, waiting
    assert reason in to_void.waiting_reason
    change.refresh_from_db()
    assert change.status == EnvelopeChange.Status.PENDING
    assert reason in change.waiting_reason
    assert SimEnvelope.objects.count() == 2  # nothing created while it waits


def assert_all_done(to_void, queued, change):
    for envelope in queued:
        envelope.refresh_from_db()
        assert envelope.status == Envelope.Status.SENT, envelope.error_detail
        assert envelope.waiting_reason == ""
    to_void.refresh_from_db()
    assert to_void.status == Envelope.Status.VOIDED
    assert SimEnvelope.objects.get(envelope_id=to_void.docusign_envelope_id).status == "voided"
    change.refresh_from_db()
    assert change.status == EnvelopeChange.Status.DONE
    assert SimEnvelope.objects.count() == 2 + QUEUED  # each sent once


def test_withdrawn_consent_makes_work_wait_and_granting_it_again_resumes_it(
    simulator_connection, work, sender, superuser, client
):
    to_void, to_resend, queued = work
    granted = SimConsent.objects.get()
    sim_oauth.revoke_consent(user=granted.user, app=granted.app)
    tokens.drop_cached_token(simulator_connection)  # the live token expired meanwhile
    mail.outbox.clear()

    change = start_everything(to_void, to_resend, queued, sender)

    assert_all_waiting(simulator_connection, to_void, queued, change, "consent_required")
    simulator_connection.refresh_from_db()
    assert simulator_connection.status == Connection.Status.AWAITING_CONSENT
    assert simulator_connection.work_waiting_since is not None
    # One email for the connection, to staff and the first sender, not one per envelope.
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["root@example.com", "sam@example.com"]
    assert "needs attention" in mail.outbox[0].subject
    # The sender's page says it waits, why, and what fixes it.
    client.force_login(sender)
    page = client.get(reverse("envelopes:detail", args=[queued[0].pk])).content.decode()
    assert "Sending is waiting" in page
    assert "consent link" in page

    # The sweep does not hammer DocuSign with the waiting work; it re-checks the connection
    # (still no consent), and nobody is emailed again.
    counts = sweep_stuck_work(now=timezone.now() + LATER)
    assert (counts["queued"], counts["voids"], counts["changes"]) == (0, 0, 0)
    assert counts["rechecks"] == 1
    assert_all_waiting(simulator_connection, to_void, queued, change, "consent_required")
    assert len(mail.outbox) == 1

    # The user allows access again: the consent return page's check resumes everything.
    sim_oauth.grant_consent(user=granted.user, app=granted.app, scopes=granted.scopes)
    request = consent.request_consent(connection=simulator_connection, requested_by=superuser)
    assert consent.record_return(state=consent.state_for(request)).kind == "allowed"

    assert_all_done(to_void, queued, change)
    simulator_connection.refresh_from_db()
    assert simulator_connection.last_error_code == ""  # the connection is not marked broken
    assert simulator_connection.work_waiting_since is None
    assert len(mail.outbox) == 1  # no failure emails, ever


def test_a_connection_briefly_not_ready_waits_and_the_periodic_check_resumes_it(
    simulator_connection, work, sender, superuser, monkeypatch
):
    to_void, to_resend, queued = work
    Connection.objects.filter(pk=simulator_connection.pk).update(base_uri="")  # not ready
    mail.outbox.clear()

    change = start_everything(to_void, to_resend, queued, sender)

    assert_all_waiting(simulator_connection, to_void, queued, change, "connection_not_ready")
    simulator_connection.refresh_from_db()
    assert simulator_connection.status == Connection.Status.FAILING  # never "connected"
    assert len(mail.outbox) == 1

    # Nothing but the sweep: its re-check discovers the base URI and resumes the work.
    counts = sweep_stuck_work(now=timezone.now() + LATER)
    assert counts["rechecks"] == 1
    assert_all_done(to_void, queued, change)
    assert len(mail.outbox) == 1

    # Broken again after recovering: staff are told again, once.
    simulator_connection.refresh_from_db()
    monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)
    later = [queue(simulator_connection, sender, n) for n in (98, 99)]
    monkeypatch.undo()
    Connection.objects.filter(pk=simulator_connection.pk).update(base_uri="")
    for envelope in later:
        tasks.send_envelope.delay(str(envelope.pk))
    assert len(mail.outbox) == 2


def test_rotating_the_encryption_key_keeps_the_cached_token_readable(
    simulator_connection, sender, settings, caplog
):
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()
    queue(simulator_connection, sender, 1)  # mints and caches a token under the old key
    assert tokens.get_access_token(simulator_connection)

    settings.FIELD_ENCRYPTION_KEYS = [new, *old]
    call_command("rotate_encryption_key")
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is dropped, as the README says

    entry = cache.get(tokens.cache_key(simulator_connection))
    Fernet(new.encode()).decrypt(entry["token"].encode())  # re-encrypted, not left behind
    caplog.clear()
    envelope = queue(simulator_connection, sender, 2)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    assert "Minted a DocuSign token" not in caplog.text  # the rotated token served it


def test_an_unreadable_cached_token_is_minted_again_not_failed_on(
    simulator_connection, sender, settings, caplog
):
    assert tokens.get_access_token(simulator_connection)
    key = tokens.cache_key(simulator_connection)
    entry = cache.get(key)
    foreign = Fernet(Fernet.generate_key()).encrypt(b"an old token").decode()
    cache.set(key, {**entry, "token": foreign}, timeout=3600)
    with pytest.raises(DecryptionFailed):
        decrypt(foreign)  # what every call met before

    envelope = queue(simulator_connection, sender, 1)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    assert "could not be decrypted; minting a new one" in caplog.text
    simulator_connection.refresh_from_db()
    assert simulator_connection.last_error_code == ""  # the connection is not marked broken


def test_redis_failing_mid_send_does_not_count_as_a_docusign_attempt(
    simulator_connection, sender, settings, monkeypatch
):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the token lock must be a real Redis that goes away")
    monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)
    envelope = queue(simulator_connection, sender, 1)
    tokens.drop_cached_token(simulator_connection)  # the next call must take the mint lock
    gone = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr(tokens, "_redis", lambda: gone)  # a real client, nothing listening
    for _ in range(3):
        with pytest.raises(redis.exceptions.ConnectionError):
            create.send_envelope(envelope_id=str(envelope.pk))
        envelope.refresh_from_db()
        assert envelope.status == Envelope.Status.QUEUED
        assert envelope.send_attempts == 0
    monkeypatch.undo()
    create.send_envelope(envelope_id=str(envelope.pk))
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT, list(envelope.events.values_list("detail"))
    assert envelope.send_attempts == 1  # the one that reached DocuSign


def test_the_database_failing_mid_send_does_not_count_as_a_docusign_attempt(
    simulator_connection, sender, monkeypatch
):
    monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)
    envelope = queue(simulator_connection, sender, 1)

    def lost_database(envelope, **options):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(create, "build_definition", lost_database)
    for _ in range(3):
        with pytest.raises(OperationalError):
            create.send_envelope(envelope_id=str(envelope.pk))
    envelope.refresh_from_db()
    assert (envelope.status, envelope.send_attempts) == (Envelope.Status.QUEUED, 0)
