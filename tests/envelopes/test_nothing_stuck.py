"""Nothing stuck, nothing hidden: lost tasks, dead drains, refused voids, limits and outages
end in progress or in a visible failure, over real HTTP against the simulator."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connections, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from connections.docusign import client as client_module
from connections.docusign import esignature
from connections.models import ApiCall, Connection
from envelopes import tasks
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import ConnectEvent, Envelope
from envelopes.sending import create, voids
from envelopes.tracking import drain as tracking
from envelopes.tracking.sweeps import sweep_stuck_work
from simulator.models import SimEnvelope

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"
LATER = timedelta(minutes=10)


def queue_one(connection, sender, n=1):
    return prepare.prepare_envelope(
        connection=connection,
        sender=sender,
        subject=f"Contract {n}",
        recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
        uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
    )


def broker_down(*args, **kwargs):
    from kombu.exceptions import OperationalError as BrokerError

    raise BrokerError("Error 111 connecting to the broker")


def test_a_send_whose_task_was_never_queued_is_sent_by_the_sweep(
    simulator_connection, sender, monkeypatch
):
    monkeypatch.setattr(tasks.send_envelope, "delay", broker_down)
    envelope = queue_one(simulator_connection, sender)  # the broker is down: no 500
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.QUEUED
    monkeypatch.undo()  # the broker is back; tasks run inline
    assert sweep_stuck_work()["queued"] == 0  # not yet: the task may just be slow
    assert sweep_stuck_work(now=timezone.now() + LATER)["queued"] == 1
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    assert SimEnvelope.objects.count() == 1


def test_our_database_failing_mid_send_puts_the_envelope_back_for_the_retry(
    simulator_connection, sender, monkeypatch
):

    monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)
    envelope = queue_one(simulator_connection, sender)

    def lost_database(envelope, **options):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(create, "build_definition", lost_database)
    with pytest.raises(OperationalError):
        create.send_envelope(envelope_id=str(envelope.pk))
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.QUEUED  # not left "sending"
    assert OperationalError in tasks.send_envelope.autoretry_for


def test_voiding_a_completed_envelope_fails_visibly_without_retries(
    simulator_connection, sender, client
):
    envelope = queue_one(simulator_connection, sender)
    envelope.refresh_from_db()
    SimEnvelope.objects.update(status="completed")  # signed at DocuSign meanwhile
    mail.outbox.clear()
    voids.request_void(envelope=envelope, reason="Wrong amount")  # the task runs inline
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.COMPLETED  # what DocuSign says it is
    assert envelope.void_requested_at is None
    assert envelope.error_code == "ENVELOPE_CANNOT_VOID_INVALID_STATE"
    assert "How to fix it: Only envelopes that are still in progress" in envelope.error_detail
    assert ApiCall.objects.filter(method="PUT").count() == 1  # not retried
    assert envelope.events.last().kind == "void-failed"
    # The sender sees it on the page and in the history, and by email.
    client.force_login(sender)
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "Voiding at DocuSign failed" in page
    assert "ENVELOPE_CANNOT_VOID_INVALID_STATE" in page
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@example.com"]
    assert "Voiding at DocuSign failed" in mail.outbox[0].subject
    assert str(envelope.pk) in mail.outbox[0].body


def test_a_void_whose_task_was_lost_is_done_by_the_sweep(simulator_connection, sender, monkeypatch):
    envelope = queue_one(simulator_connection, sender)
    envelope.refresh_from_db()
    monkeypatch.setattr(tasks.void_envelope, "delay", broker_down)
    voids.request_void(envelope=envelope, reason="Wrong amount")
    envelope.refresh_from_db()
    assert envelope.void_requested_at is not None
    monkeypatch.undo()
    assert sweep_stuck_work(now=timezone.now() + LATER)["voids"] == 1
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.VOIDED
    assert SimEnvelope.objects.get().status == "voided"


def test_a_failed_send_is_shown_with_the_fix_and_the_sender_is_emailed(
    simulator_connection, sender, client
):
    mail.outbox.clear()
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sender,
        subject="From template",
        recipients=[RecipientInput("A", "a@example.com", role_name="Signer")],
        docusign_template_id="00000000-0000-0000-0000-000000000000",
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.FAILED
    client.force_login(sender)
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "TEMPLATE_ID_INVALID" in page
    assert "How to fix it" in page
    assert envelope.events.last().kind == "failed"
    assert [m.to for m in mail.outbox] == [["sam@example.com"]]


def test_a_connection_that_is_not_ready_is_refused_before_anything_is_queued(
    simulator_connection, sender
):
    from django.core.exceptions import ValidationError

    Connection.objects.filter(pk=simulator_connection.pk).update(account_id="")
    simulator_connection.refresh_from_db()
    with pytest.raises(ValidationError, match="not set up yet"):
        queue_one(simulator_connection, sender)
    simulator_connection.account_id = "x"
    simulator_connection.status = Connection.Status.AWAITING_CONSENT
    with pytest.raises(ValidationError, match="consent"):
        queue_one(simulator_connection, sender)
    assert not Envelope.objects.exists()


def test_an_hourly_limit_reschedules_the_send_and_no_thread_sleeps(
    simulator_connection, sender, settings, monkeypatch
):
    waits = []
    monkeypatch.setattr(client_module, "_sleep", waits.append)
    monkeypatch.setattr(tasks.send_envelope, "delay", lambda *a: None)
    envelope = queue_one(simulator_connection, sender)
    settings.SIMULATOR_HOURLY_LIMIT = 0  # DocuSign: the account's hour is used up
    envelope = create.send_envelope(envelope_id=str(envelope.pk))
    now = time.time()
    top_of_the_hour = now - now % 3600 + 3600
    assert envelope.status == Envelope.Status.QUEUED
    assert envelope.next_attempt_at.timestamp() == top_of_the_hour
    assert waits == []
    assert "DocuSign accepts calls again at" in envelope.events.last().detail
    assert envelope.send_attempts == 0  # a rate limit is not a failed attempt
    assert not SimEnvelope.objects.exists()


def test_a_download_when_the_hour_is_spent_says_when_to_try_again_at_once(
    simulator_connection, sender, settings, client, monkeypatch
):
    envelope = queue_one(simulator_connection, sender)
    envelope.refresh_from_db()
    waits = []
    monkeypatch.setattr(client_module, "_sleep", waits.append)
    settings.SIMULATOR_HOURLY_LIMIT = 0
    client.force_login(sender)
    response = client.get(
        reverse("envelopes:download", args=[envelope.pk, "combined"]), follow=True
    )
    assert "DocuSign accepts calls again at" in response.content.decode()
    assert waits == []


def test_compose_survives_redis_being_down(simulator_connection, sender, client, monkeypatch):
    client.force_login(sender)
    monkeypatch.setattr(tasks.send_envelope, "delay", broker_down)
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    with override_settings(CACHES=down):
        response = client.post(
            reverse("envelopes:compose"),
            {
                "connection": simulator_connection.pk,
                "source": "uploads",
                "subject": "While Redis restarts",
                "uploads": SimpleUploadedFile("a.pdf", PDF),
                "message": "",
                "document_template": "",
                "r-TOTAL_FORMS": "1",
                "r-INITIAL_FORMS": "0",
                "r-MIN_NUM_FORMS": "1",
                "r-MAX_NUM_FORMS": "100",
                "action": "send",
                "r-0-name": "Ann",
                "r-0-email": "ann@example.com",
                "r-0-kind": "signer",
                "r-0-routing_order": "1",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    envelope = Envelope.objects.get()
    assert envelope.status == Envelope.Status.QUEUED  # the sweep sends it


# --- Connect: no lock across a DocuSign call, a dead drain's messages picked up ----------


def connect_message(envelope_id, status="completed"):
    return {
        "event": f"envelope-{status}",
        "generatedDateTime": timezone.now().isoformat(),
        "data": {"envelopeId": envelope_id},
    }


def test_the_drain_holds_no_lock_while_it_asks_docusign(simulator_connection, sender, monkeypatch):
    envelope = queue_one(simulator_connection, sender)
    envelope.refresh_from_db()
    event = ConnectEvent.objects.create(
        connection=simulator_connection,
        identity="a" * 64,
        event="envelope-sent",
        docusign_envelope_id=envelope.docusign_envelope_id,
        verified=False,  # unsigned: a hint, so the drain asks DocuSign
        body=connect_message(envelope.docusign_envelope_id),
    )
    seen = {}
    real_get = esignature.get_envelope

    def others_can_write(*args, **kwargs):
        def try_locks():
            try:
                with transaction.atomic():
                    Connection.objects.select_for_update(nowait=True).get(
                        pk=simulator_connection.pk
                    )
                    ConnectEvent.objects.select_for_update(nowait=True).get(pk=event.pk)
                    Envelope.objects.select_for_update(nowait=True).get(pk=envelope.pk)
                seen["locked"] = False
            except OperationalError:
                seen["locked"] = True
            finally:
                connections.close_all()

        thread = threading.Thread(target=try_locks)
        thread.start()
        thread.join()
        return real_get(*args, **kwargs)

    monkeypatch.setattr(esignature, "get_envelope", others_can_write)
    assert tracking.drain_connect_events(simulator_connection.pk) == 1
    assert seen == {"locked": False}
    event.refresh_from_db()
    assert event.processed_at is not None


def test_a_crashed_drains_messages_are_picked_up_by_the_sweep(
    simulator_connection, sender, settings
):
    from django.core.cache import cache

    from envelopes.tracking.drain import DRAIN_KEY

    envelope = queue_one(simulator_connection, sender)
    envelope.refresh_from_db()
    SimEnvelope.objects.update(status="completed")
    ConnectEvent.objects.create(
        connection=simulator_connection,
        identity="b" * 64,
        event="envelope-completed",
        docusign_envelope_id=envelope.docusign_envelope_id,
        verified=False,
        body=connect_message(envelope.docusign_envelope_id),
    )
    # The drain that took the message died; its key lapsed (DRAIN_KEY_SECONDS).
    cache.delete(DRAIN_KEY.format(simulator_connection.pk))
    assert sweep_stuck_work()["connect"] == 0  # too fresh: a live drain may be on it
    later = timezone.now() + timedelta(seconds=settings.ENVELOPES_CONNECT_STALE_SECONDS + 1)
    assert sweep_stuck_work(now=later)["connect"] == 1
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.COMPLETED
    assert not ConnectEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_live_drain_is_not_doubled_by_the_sweep(simulator_connection, sender, settings):
    from django.core.cache import cache

    from envelopes.tracking.drain import DRAIN_KEY

    ConnectEvent.objects.create(
        connection=simulator_connection,
        identity="c" * 64,
        event="envelope-sent",
        docusign_envelope_id="00000000-0000-0000-0000-00000000000c",
        verified=False,
        body=connect_message("00000000-0000-0000-0000-00000000000c"),
    )
    cache.set(DRAIN_KEY.format(simulator_connection.pk), 1, timeout=30)  # a drain is running
    later = timezone.now() + timedelta(seconds=settings.ENVELOPES_CONNECT_STALE_SECONDS + 1)
    assert sweep_stuck_work(now=later)["connect"] == 0
