"""No Connect message blocks the rest: per-message outcomes (parked, waiting), staff retry and
discard, drains in slices that hand on without the sweep, our own failures never parking."""

import json
from datetime import timedelta

import pytest
import responses
from django.contrib.auth.models import Permission
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from connections.docusign.errors import ConsentRequired, DocuSignServerError, RateLimited
from envelopes import tasks
from envelopes.models import ConnectEvent, Envelope
from envelopes.tracking import apply, stuck, sweeps
from envelopes.tracking import drain as tracking
from envelopes.tracking import outcomes as connect_outcomes
from tests.conftest import DEMO_AUTH
from tests.envelopes.test_webhooks import message, post
from tests.factories import ConnectionFactory, EnvelopeFactory, RecipientFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY = "drain-test-hmac-key-0001"
PURGED = "dead0000-0000-0000-0000-000000000001"


@pytest.fixture
def connection(docusign_hosts):
    return ConnectionFactory(connect_hmac_secrets=KEY)


def make_envelope(connection, envelope_id, status="sent"):
    envelope = EnvelopeFactory(
        connection=connection, subject="S", status=status, docusign_envelope_id=envelope_id
    )
    RecipientFactory(
        envelope=envelope, name="A", email="a@example.com", recipient_id="1", status="sent"
    )
    return envelope


def good_envelopes(connection, count):
    return [make_envelope(connection, f"600d0000-0000-0000-0000-{n:012d}") for n in range(count)]


def bare(envelope, generated="2026-11-25T09:00:00.0000000Z"):
    """A signed message without envelopeSummary: applying it needs a DocuSign GET."""
    body = message(envelope, generated=generated)
    del body["data"]["envelopeSummary"]
    return body


def store(connection, body, n, *, verified=True):
    """A message as the receiver stores it (no drain asked for)."""
    return ConnectEvent.objects.create(
        connection=connection,
        identity=f"{n:064d}",
        event=body["event"],
        docusign_envelope_id=body["data"]["envelopeId"],
        verified=verified,
        body=body,
    )


def mock_docusign(connection):
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    return responses.get(
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}"
        f"/envelopes/{PURGED}",
        status=400,
        json={
            "errorCode": "ENVELOPE_DOES_NOT_EXIST",
            "message": "The envelope specified either does not exist or you have no rights.",
        },
    )


def viewer_client(client):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_connection"))
    client.force_login(viewer)
    return client


# --- A permanent failure parks one message --------------------------------------------


@responses.activate
def test_a_purged_envelope_parks_its_message_and_every_message_behind_it_is_applied(
    connection, django_capture_on_commit_callbacks
):
    purged = make_envelope(connection, PURGED)
    others = good_envelopes(connection, 3)
    gets = mock_docusign(connection)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, connection, json.dumps(bare(purged)).encode(), KEY).status_code == 200
        for envelope in others:
            body = json.dumps(message(envelope)).encode()
            assert post(client, connection, body, KEY).status_code == 200
    for envelope in others:
        envelope.refresh_from_db()
        assert envelope.status == "completed"
    bad = ConnectEvent.objects.get(docusign_envelope_id=PURGED)
    assert bad.processed_at is None
    assert bad.parked_at is not None
    assert "ENVELOPE_DOES_NOT_EXIST" in bad.failure_reason
    assert bad.attempts == 1
    assert gets.call_count == 1
    purged.refresh_from_db()
    assert purged.status == "sent"
    # A parked message is not stuck: the sweep does not start drains for it.
    later = timezone.now() + timedelta(hours=1)
    assert not stuck.stuck_connect_events(later).exists()
    # Later messages still flow.
    with django_capture_on_commit_callbacks(execute=True):
        late = message(others[0], generated="2026-11-25T12:00:00.0000000Z")
        assert post(client, connection, json.dumps(late).encode(), KEY).status_code == 200
    assert ConnectEvent.objects.filter(processed_at__isnull=False).count() == 4


def test_a_body_that_cannot_be_applied_is_parked_and_the_rest_applied(connection):
    broken = make_envelope(connection, "badb0d40-0000-0000-0000-000000000001")
    good = good_envelopes(connection, 2)
    body = message(broken)
    body["data"]["envelopeSummary"]["recipients"] = ["not", "an", "object"]
    store(connection, body, 0)
    for n, envelope in enumerate(good, start=1):
        store(connection, message(envelope), n)
    assert tracking.drain_connect_events(connection.pk) == 2
    parked = ConnectEvent.objects.get(parked_at__isnull=False)
    assert parked.docusign_envelope_id == broken.docusign_envelope_id
    assert "recipients" in parked.failure_reason
    assert "not a JSON object" in parked.failure_reason
    assert {e.status for e in Envelope.objects.filter(pk__in=[g.pk for g in good])} == {"completed"}


def test_an_unexpected_error_applying_one_message_parks_only_that_one(connection, monkeypatch):
    """A bug met by one message (here: an exception inside the batch's transaction) rolls the
    batch back, and the drain applies the batch again one by one, parking only that one."""
    envelopes = good_envelopes(connection, 4)
    for n, envelope in enumerate(envelopes):
        store(connection, message(envelope), n)
    real = apply.apply_locked_summary
    victim = envelopes[2].pk

    def fails_for_one(envelope, *args, **kwargs):
        if envelope.pk == victim:
            raise KeyError("surprise")
        return real(envelope, *args, **kwargs)

    monkeypatch.setattr(apply, "apply_locked_summary", fails_for_one)
    assert tracking.drain_connect_events(connection.pk) == 3
    parked = ConnectEvent.objects.get(parked_at__isnull=False)
    assert parked.docusign_envelope_id == envelopes[2].docusign_envelope_id
    assert parked.failure_reason.startswith("KeyError")
    statuses = dict(Envelope.objects.values_list("pk", "status"))
    assert [statuses[e.pk] for e in envelopes] == ["completed", "completed", "sent", "completed"]
    assert Envelope.objects.get(pk=victim).events.count() == 0  # its writes were rolled back


# --- Staff see parked messages; those allowed retry or discard them --------------------


@responses.activate
def test_parked_messages_are_shown_and_retry_and_discard_need_the_permission(
    connection, client, staff_with_connection_perms, django_capture_on_commit_callbacks
):
    purged = make_envelope(connection, PURGED)
    mock_docusign(connection)
    first = store(connection, bare(purged), 1)
    second = store(connection, bare(purged, generated="2026-11-25T09:30:00.0000000Z"), 2)
    tracking.drain_connect_events(connection.pk)
    assert ConnectEvent.objects.filter(parked_at__isnull=False).count() == 2
    page = reverse("envelopes:connection", args=[connection.pk])
    retry = reverse("envelopes:parked-message", args=[connection.pk, first.pk, "retry"])
    discard = reverse("envelopes:parked-message", args=[connection.pk, second.pk, "discard"])

    # Seeing the page is not acting: a viewer sees the reason but no buttons, and is refused.
    viewer = viewer_client(client)
    html = viewer.get(page).content.decode()
    assert "Messages not applied (2)" in html
    assert "ENVELOPE_DOES_NOT_EXIST" in html
    assert retry not in html
    assert discard not in html
    assert viewer.post(retry).status_code == 403
    assert viewer.post(discard).status_code == 403
    first.refresh_from_db()
    assert first.parked_at is not None
    client.logout()

    # Staff who may change connections: the forms are there, and need the CSRF token.
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(staff_with_connection_perms)
    html = staff.get(page).content.decode()
    assert retry in html
    assert discard in html
    assert staff.post(retry).status_code == 403  # no CSRF token
    assert staff.get(retry).status_code == 405  # never by GET
    token = staff.cookies["csrftoken"].value

    # The envelope is back at DocuSign (say, the purge was a mistake): retry applies it.
    responses.replace(
        responses.GET,
        f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}"
        f"/envelopes/{PURGED}",
        json={"status": "delivered", "recipients": {"signers": []}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(retry, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.processed_at is not None
    assert first.parked_at is None
    purged.refresh_from_db()
    assert purged.status == "delivered"

    response = staff.post(discard, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.discarded_at is not None
    assert second.processed_at is None
    assert second.note == f"discarded by {staff_with_connection_perms.username}"
    assert "ENVELOPE_DOES_NOT_EXIST" in second.failure_reason  # the reason stays, for audit
    tracking.drain_connect_events(connection.pk)
    second.refresh_from_db()
    assert second.processed_at is None  # a discarded message is never applied
    html = staff.get(page).content.decode()
    assert "Messages not applied (0)" in html
    # Acting twice, or on another connection's message, changes nothing.
    assert staff.post(discard, HTTP_X_CSRFTOKEN=token).status_code == 302
    other = ConnectionFactory()
    elsewhere = reverse("envelopes:parked-message", args=[other.pk, second.pk, "retry"])
    assert staff.post(elsewhere, HTTP_X_CSRFTOKEN=token).status_code == 404


def test_the_status_page_and_metrics_count_parked_messages(connection, superuser, client):
    from ops.metrics import exposition

    envelope = make_envelope(connection, PURGED)
    event = store(connection, bare(envelope), 1)
    connect_outcomes.record(event, connect_outcomes.Failure("gone", permanent=True))
    client.force_login(superuser)
    html = client.get(reverse("ops:status")).content.decode()
    assert '<td class="parked"><a href=' in html
    text = exposition().decode()
    assert f'countersign_connect_messages_parked{{connection="{connection.name}"}} 1.0' in text
    assert 'countersign_stuck{kind="connect_event"} 0.0' in text


# --- A transient failure makes one message wait ------------------------------------------


def test_a_transient_error_makes_one_message_wait_while_the_rest_flow(connection, monkeypatch):
    flaky = make_envelope(connection, "f1a40000-0000-0000-0000-000000000001")
    good = good_envelopes(connection, 3)
    store(connection, bare(flaky), 0)
    for n, envelope in enumerate(good, start=1):
        store(connection, message(envelope), n)
    fault = {"on": True}

    def docusign(envelope):
        if fault["on"]:
            raise DocuSignServerError("HTTP 503 from DocuSign", status=503)
        return {"status": "completed", "recipients": {"signers": []}}

    monkeypatch.setattr("envelopes.tracking.hints._fetch", docusign)
    assert tracking.drain_connect_events(connection.pk) == 3
    waiting = ConnectEvent.objects.get(docusign_envelope_id=flaky.docusign_envelope_id)
    assert waiting.processed_at is None
    assert waiting.parked_at is None
    assert waiting.attempts == 1
    assert "DocuSignServerError" in waiting.failure_reason
    assert waiting.next_attempt_at > timezone.now()
    # Waiting is not stuck, however long ago the message arrived.
    ConnectEvent.objects.filter(pk=waiting.pk).update(
        received_at=timezone.now() - timedelta(hours=1)
    )
    assert not stuck.stuck_connect_events().exists()
    # Not due yet: a drain leaves it alone.
    assert tracking.drain_connect_events(connection.pk) == 0
    # Due, and still failing: it waits longer.
    first_wait = waiting.next_attempt_at - timezone.now()
    ConnectEvent.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert tracking.drain_connect_events(connection.pk) == 0
    waiting.refresh_from_db()
    assert waiting.attempts == 2
    assert waiting.next_attempt_at - timezone.now() > first_wait
    # The fault clears: applied when due.
    fault["on"] = False
    ConnectEvent.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert tracking.drain_connect_events(connection.pk) == 1
    flaky.refresh_from_db()
    assert flaky.status == "completed"
    waiting.refresh_from_db()
    assert waiting.processed_at is not None
    assert waiting.next_attempt_at is None


def test_a_message_overdue_after_its_wait_is_stuck_and_swept(connection, monkeypatch, settings):
    envelope = make_envelope(connection, "f1a40000-0000-0000-0000-000000000002")
    event = store(connection, message(envelope), 0)
    ConnectEvent.objects.filter(pk=event.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=5), attempts=1
    )
    started: list[int] = []

    def request_drain(pk: int) -> bool:
        started.append(pk)
        return True

    monkeypatch.setattr(tracking, "request_drain", request_drain)
    soon = timezone.now() + timedelta(seconds=settings.ENVELOPES_CONNECT_STALE_SECONDS)
    assert sweeps.sweep_stuck_work(now=soon)["connect"] == 0  # its wait has not long ended
    late = soon + timedelta(seconds=10)
    assert sweeps.sweep_stuck_work(now=late)["connect"] == 1  # its wake-up was lost
    assert started == [connection.pk]


def test_transient_failures_park_a_message_after_the_last_attempt(connection, settings):
    settings.ENVELOPES_CONNECT_MAX_ATTEMPTS = 3
    envelope = make_envelope(connection, PURGED)
    event = store(connection, bare(envelope), 0)
    failure = connect_outcomes.classify(DocuSignServerError("HTTP 502", status=502))
    waits = []
    for _ in range(2):
        assert connect_outcomes.record(event, failure) == "waiting"
        waits.append(event.next_attempt_at - timezone.now())
    assert waits[1] > waits[0]
    assert connect_outcomes.record(event, failure) == "parked"
    event.refresh_from_db()
    assert event.parked_at is not None
    assert event.attempts == 3
    assert event.failure_reason.startswith("gave up after 3 attempts: DocuSignServerError")


def test_a_rate_limit_waits_until_docusigns_reset_without_spending_calls(connection, monkeypatch):
    envelopes = [make_envelope(connection, f"1a7e0000-0000-0000-0000-{n:012d}") for n in range(3)]
    for n, envelope in enumerate(envelopes):
        store(connection, bare(envelope, generated=f"2026-11-25T09:00:0{n}.0000000Z"), n)
    reset = timezone.now() + timedelta(minutes=20)
    calls = []

    def limited(envelope):
        calls.append(envelope.pk)
        raise RateLimited("hourly", scope=RateLimited.HOURLY, retry_at=reset.timestamp())

    monkeypatch.setattr("envelopes.tracking.hints._fetch", limited)
    assert tracking.drain_connect_events(connection.pk) == 0
    assert len(calls) == 1  # the others were not asked: DocuSign's answer is the same
    for event in ConnectEvent.objects.all():
        assert abs((event.next_attempt_at - reset).total_seconds()) < 1
        assert event.attempts == 0
        assert event.parked_at is None


def test_a_connection_problem_makes_messages_wait_never_park(connection, monkeypatch, settings):
    settings.ENVELOPES_CONNECT_MAX_ATTEMPTS = 2
    envelope = make_envelope(connection, PURGED)
    store(connection, bare(envelope), 0)

    def no_consent(envelope):
        raise ConsentRequired("consent_required")

    monkeypatch.setattr("envelopes.tracking.hints._fetch", no_consent)
    for _ in range(4):
        ConnectEvent.objects.update(next_attempt_at=timezone.now())
        tracking.drain_connect_events(connection.pk)
    event = ConnectEvent.objects.get()
    assert event.parked_at is None
    assert event.attempts == 4
    assert event.next_attempt_at - timezone.now() > timedelta(seconds=30)  # it grew


# --- Our own infrastructure failing is not the message's fault -------------------------


def test_a_database_error_applying_parks_nothing_and_counts_no_attempt(connection, monkeypatch):
    envelopes = good_envelopes(connection, 3)
    for n, envelope in enumerate(envelopes):
        store(connection, message(envelope), n)

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(apply, "apply_locked_summary", database_gone)
    with pytest.raises(OperationalError):
        tracking.drain_connect_events(connection.pk)
    for event in ConnectEvent.objects.all():
        assert event.parked_at is None
        assert event.processed_at is None
        assert event.attempts == 0
        assert event.next_attempt_at is None
    monkeypatch.undo()
    assert tracking.drain_connect_events(connection.pk) == 3  # the task's retry


def test_redis_down_while_rationing_a_hint_parks_nothing(connection, monkeypatch):
    envelope = make_envelope(connection, PURGED)
    store(connection, message(envelope), 0, verified=False)  # a hint: rationed in Redis

    def redis_gone(envelope):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr("envelopes.tracking.hints.may_look", redis_gone)
    with pytest.raises(RedisConnectionError):
        tracking.drain_connect_events(connection.pk)
    event = ConnectEvent.objects.get()
    assert event.parked_at is None
    assert event.attempts == 0
    assert event.next_attempt_at is None


# --- Slices ------------------------------------------------------------------------------


def test_a_slice_hands_on_to_the_next_slice_without_the_sweep(connection, monkeypatch, settings):
    settings.ENVELOPES_CONNECT_SLICE_MESSAGES = 5
    envelopes = good_envelopes(connection, 20)
    for n, envelope in enumerate(envelopes):
        store(connection, message(envelope), n)

    def no_sweep(**kwargs):
        raise AssertionError("the sweep was needed")

    monkeypatch.setattr(sweeps, "sweep_stuck_work", no_sweep)
    slices = []
    real = tracking.drain_slice

    def counted(connection_id):
        done = real(connection_id)
        slices.append(done.applied)
        # While a slice runs or hands on, the key is held: no second drain starts.
        assert not tracking.request_drain(connection_id)
        return done

    monkeypatch.setattr(tracking, "drain_slice", counted)
    assert tracking.request_drain(connection.pk)  # the inline task runs every slice
    assert slices == [5, 5, 5, 5, 0]
    assert not ConnectEvent.objects.filter(processed_at__isnull=True).exists()
    assert {e.status for e in Envelope.objects.all()} == {"completed"}
    assert tracking.request_drain(connection.pk)  # finished: the key was released


def test_the_drain_task_hands_on_when_a_slice_overruns_the_soft_time_limit(connection, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    handed = []
    monkeypatch.setattr(tracking, "hand_on", handed.append)

    def overruns(connection_id):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tracking, "drain_slice", overruns)
    assert tasks.drain_connect_events.apply(args=(connection.pk,)).get() == 0
    assert handed == [connection.pk]


def wake_up(connection):
    return tasks.drain_connect_events.apply(args=(connection.pk,), kwargs={"claim": True}).get()


def test_a_timed_wake_up_does_nothing_while_a_drain_holds_the_key(connection, monkeypatch):
    envelope = make_envelope(connection, PURGED)
    store(connection, message(envelope), 0)
    assert tracking.claim_drain(connection.pk)  # a drain is running
    assert wake_up(connection) == 0
    assert ConnectEvent.objects.get().processed_at is None
    tracking.drain_connect_events(connection.pk)  # the running drain's work, then release
    assert ConnectEvent.objects.get().processed_at is not None
    assert wake_up(connection) == 0
    assert tracking.claim_drain(connection.pk)  # the wake-up released the key it took
