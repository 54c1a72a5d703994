"""Ours alone: two connections, or two installations, on one DocuSign account never void each
other's envelopes; a proven duplicate of a row of ours still is. Over real HTTP against the
simulator, with one listing per account serving both polling and reconciliation."""

import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from connections.docusign import esignature
from connections.installation import installation_id
from connections.models import ApiCall, Connection
from connections.services import get_client
from envelopes.bulk import batches, compose
from envelopes.bulk import rows as bulk_csv
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope, SyncCursor
from envelopes.sending import create
from envelopes.sending.definitions import CUSTOM_FIELD, INSTALLATION_FIELD, build_definition
from envelopes.tracking import polling as sync
from simulator.models import SimBulkBatch, SimEnvelope
from tests.factories import DocumentTemplateFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"


@pytest.fixture
def no_worker(monkeypatch):
    """We play the worker ourselves: queued sends are recorded, not run."""
    from envelopes import tasks

    queued = []
    monkeypatch.setattr(tasks.send_envelope, "delay", queued.append)
    return queued


@pytest.fixture
def team_b(simulator_connection):
    """A second connection on the same DocuSign account and user (a team's own, or staging
    beside production)."""
    return Connection.objects.create(
        name="Team B",
        environment=simulator_connection.environment,
        integration_key=simulator_connection.integration_key,
        user_id=simulator_connection.user_id,
        user_email=simulator_connection.user_email,
        account_id=simulator_connection.account_id,
        base_uri=simulator_connection.base_uri,
        private_key=simulator_connection.private_key,
        key_fingerprint=simulator_connection.key_fingerprint,
        status=Connection.Status.CONNECTED,
    )


def sent_envelope(connection, n):
    envelope = prepare.prepare_envelope(
        connection=connection,
        sender=UserFactory(username=f"sender{n}"),
        subject=f"Contract {n}",
        recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
        uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
    )
    sent = create.send_envelope(envelope_id=str(envelope.pk))
    assert sent is not None
    assert sent.status == Envelope.Status.SENT
    return sent


def made_elsewhere(connection, like, *, countersign_id, installation):
    """An envelope another installation (or older code, installation None) created on the
    same account: our definition with their custom fields."""
    definition = build_definition(like)
    fields = [{"name": CUSTOM_FIELD, "value": countersign_id}]
    if installation is not None:
        fields.append({"name": INSTALLATION_FIELD, "value": installation})
    definition["customFields"] = {"textCustomFields": fields}
    return esignature.create_envelope(get_client(connection), definition)["envelopeId"]


def later():
    """Past the settle window of everything made so far."""
    from envelopes.retries import settle_window

    return timezone.now() + settle_window() + timedelta(seconds=1)


def statuses():
    return dict(SimEnvelope.objects.values_list("envelope_id", "status"))


def test_every_envelope_we_create_carries_our_installation_id(simulator_connection, no_worker):
    envelope = sent_envelope(simulator_connection, 1)
    sim = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    assert sim.custom_fields[INSTALLATION_FIELD] == installation_id()
    assert sim.custom_fields[CUSTOM_FIELD] == str(envelope.pk)
    assert installation_id() == installation_id()  # made once, kept


def test_two_connections_on_one_account_never_void_each_others_envelopes(
    simulator_connection, team_b, no_worker
):
    a = sent_envelope(simulator_connection, 1)
    b = sent_envelope(team_b, 2)
    # A real duplicate of a's row (a create whose answer was lost, made again).
    duplicate = esignature.create_envelope(get_client(simulator_connection), build_definition(a))[
        "envelopeId"
    ]

    # Each connection's poll lists the shared account; neither voids the other's envelope.
    for connection in (simulator_connection, team_b):
        sync.poll_connection(connection, get_client(connection), now=later())

    status = statuses()
    assert status[a.docusign_envelope_id] == "sent"
    assert status[b.docusign_envelope_id] == "sent"
    assert status[duplicate] == "voided"
    assert "duplicate" in [e.kind for e in a.events.all()]
    assert "duplicate" not in [e.kind for e in b.events.all()]


def test_another_installations_envelopes_are_left_alone_counted_and_shown(
    simulator_connection, no_worker, staff_client
):
    ours = sent_envelope(simulator_connection, 1)
    theirs = uuid.uuid4().hex
    made = [
        # Another installation's envelope for a row of its own.
        made_elsewhere(
            simulator_connection, ours, countersign_id=str(uuid.uuid4()), installation=theirs
        ),
        # Another installation's naming one of our rows (it looks like a duplicate of it).
        made_elsewhere(
            simulator_connection, ours, countersign_id=str(ours.pk), installation=theirs
        ),
        # Older code (no installation id), naming no row of ours.
        made_elsewhere(
            simulator_connection, ours, countersign_id=str(uuid.uuid4()), installation=None
        ),
        # Older code naming our row, which already has its envelope.
        made_elsewhere(simulator_connection, ours, countersign_id=str(ours.pk), installation=None),
    ]

    result = sync.poll_connection(
        simulator_connection, get_client(simulator_connection), now=later()
    )

    status = statuses()
    assert [status[e] for e in made] == ["sent"] * 4
    assert status[ours.docusign_envelope_id] == "sent"
    assert result.reconciled.actions == []
    assert (result.reconciled.not_ours, result.reconciled.no_row) == (4, 0)
    assert not ApiCall.objects.filter(method="PUT").exists()
    cursor = SyncCursor.objects.get(connection=simulator_connection)
    assert (cursor.left_not_ours, cursor.left_no_row) == (4, 0)
    page = staff_client.get(reverse("envelopes:connection", args=[simulator_connection.pk]))
    html = page.content.decode()
    assert '<td class="left-not-ours">4</td>' in html
    assert installation_id() in html


def test_a_row_that_lost_its_envelope_links_an_older_codes_envelope_but_never_voids_one(
    simulator_connection, no_worker
):
    row = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=UserFactory(username="sam"),
        subject="Contract",
        recipients=[RecipientInput("Ann", "ann@example.com")],
        uploads=[SimpleUploadedFile("doc.pdf", PDF)],
    )
    # Older code created it twice, then the row gave up with the outcome unknown.
    first = made_elsewhere(simulator_connection, row, countersign_id=str(row.pk), installation=None)
    time.sleep(0.05)
    second = made_elsewhere(
        simulator_connection, row, countersign_id=str(row.pk), installation=None
    )
    Envelope.objects.filter(pk=row.pk).update(
        status=Envelope.Status.FAILED, create_started_at=timezone.now(), send_attempts=3
    )

    result = sync.poll_connection(
        simulator_connection, get_client(simulator_connection), now=later()
    )

    row.refresh_from_db()
    assert row.docusign_envelope_id == first
    assert row.status == Envelope.Status.SENT
    assert statuses()[second] == "sent"  # cannot be proven ours: never voided
    assert result.reconciled.not_ours == 1


BODY = "<h1>Offer for {{ name }}</h1><p>/sig1/ /date1/</p>"


@pytest.fixture
def prompt_bulk(settings):
    settings.SIMULATOR_BULK_START_SECONDS = 0
    settings.SIMULATOR_BULK_COPIES_PER_SECOND = 10000
    settings.ENVELOPES_BULK_TRACK_SECONDS = 0


def bulk_batch(connection, rows):
    template = DocumentTemplateFactory(
        name="Offer", body=BODY, fields=[{"name": "name", "label": "Name", "required": True}]
    )
    layout = compose.layout_for_document(template)
    text = "Signer::Name,Signer::Email,name\n" + "".join(
        f"Person {i},person{i}@example.com,Person {i}\n" for i in range(1, rows + 1)
    )
    parsed = bulk_csv.parse(text, layout)
    assert parsed.ok, parsed.errors
    return compose.prepare_bulk_send(
        compose.BulkRequest(
            connection=connection,
            sender=UserFactory(username="bulk"),
            name="offers.csv",
            subject="Your offer",
            layout=layout,
            rows=parsed.rows,
            document_template=template,
        )
    )


def wait_for_copies(batch):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sim = SimBulkBatch.objects.get(batch_id=batch.docusign_batch_id)
        if sim.processed == len(sim.copies):
            return
        time.sleep(0.1)
    raise AssertionError("the simulator did not make the batch's copies in 30 s")


def test_bulk_copies_are_never_voided_on_a_shared_account(
    simulator_connection, team_b, no_worker, prompt_bulk
):
    a = sent_envelope(simulator_connection, 1)  # something for a's poll to watch
    batch = bulk_batch(team_b, 4)  # eager: the draft, the list and the send at once
    batch.refresh_from_db()
    assert batch.docusign_batch_id
    wait_for_copies(batch)
    copies = [s for s in SimEnvelope.objects.all() if s.custom_fields.get("countersign_bulk")]
    copies = [s for s in copies if s.status != "created"]  # not the draft
    assert len(copies) == 4
    assert {s.custom_fields[INSTALLATION_FIELD] for s in copies} == {installation_id()}

    # The copies exist; their rows are not linked yet (tracking has not run): left alone.
    sync.poll_connection(simulator_connection, get_client(simulator_connection), now=later())
    assert {statuses()[s.envelope_id] for s in copies} == {"sent"}

    for _ in range(10):  # tracking links each copy to its row
        batch = batches.advance_bulk_batch(batch_id=str(batch.pk))
        if batch.is_final:
            break
    assert batch.envelopes.filter(status=Envelope.Status.SENT).count() == 4
    for connection in (simulator_connection, team_b):
        result = sync.poll_connection(connection, get_client(connection), now=later())
        assert result.reconciled.actions == []
    assert {statuses()[s.envelope_id] for s in copies} == {"sent"}
    assert statuses()[a.docusign_envelope_id] == "sent"


def test_the_golive_check_stays_green_after_a_day_of_polling_and_reconciling(
    simulator_connection, team_b, no_worker, monkeypatch, settings
):
    """A simulated day of the beat schedule (every envelopes task at its own interval),
    ordinary sends on both connections, signing: polls stay at least 15 minutes apart."""
    from celery import current_app

    from connections import golive, tokens
    from simulator.esign import lifecycle

    clock = [timezone.now()]
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    # Our token cache and the simulator's tokens age on the same (simulated) clock.
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: clock[0].timestamp()))
    beat = {
        name: (entry["task"], float(entry["schedule"]))
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if str(entry["task"]).startswith("envelopes.")
    }
    last_run = dict.fromkeys(beat, clock[0] - timedelta(days=1))
    start = clock[0]
    for minute in range(24 * 60):
        clock[0] = start + timedelta(minutes=minute)
        if minute % 180 == 0:  # ordinary use: a send on each connection every 3 hours
            sent_envelope(simulator_connection, minute)
            sent_envelope(team_b, minute + 1)
        if minute % 180 == 90:  # and the oldest open one gets signed
            sim = SimEnvelope.objects.filter(status="sent").order_by("created").first()
            lifecycle.sign(sim.recipients.get(), {})
        for name, (task, every) in beat.items():
            if (clock[0] - last_run[name]).total_seconds() >= every:
                last_run[name] = clock[0]
                current_app.tasks[task].apply()
    monkeypatch.setattr(timezone, "now", real_now)

    listings = ApiCall.objects.filter(method="GET", path="/envelopes").order_by("created_at")
    assert listings.count() == 72  # once per 20 minutes, for both connections together
    assert set(listings.values_list("status_code", flat=True)) == {200}
    readiness = golive.readiness(simulator_connection)
    assert readiness.fast_polls == 0
    assert ("No status polling more often than every 15 minutes", True) in readiness.checklist
    assert Envelope.objects.filter(status=Envelope.Status.COMPLETED).count() >= 7


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="a worker in another process shares the test database: needs PostgreSQL",
)
def test_a_real_beat_lists_the_shared_account_once_and_voids_only_the_proven_duplicate(
    simulator_connection, team_b, no_worker, prompt_bulk, live_server, tmp_path, settings
):
    """A Celery worker with its own beat (ticking every second) and our own Redis."""
    import os

    from django.db import connection as db

    from tests.support.processes import OwnRedis, celery_worker, wait_for

    a = sent_envelope(simulator_connection, 1)
    b = sent_envelope(team_b, 2)
    duplicate = esignature.create_envelope(get_client(simulator_connection), build_definition(a))[
        "envelopeId"
    ]
    theirs = made_elsewhere(
        simulator_connection, a, countersign_id=str(a.pk), installation=uuid.uuid4().hex
    )
    batch = bulk_batch(team_b, 3)
    batch.refresh_from_db()
    wait_for_copies(batch)
    for _ in range(10):
        batch = batches.advance_bulk_batch(batch_id=str(batch.pk))
        if batch.is_final:
            break
    copies = list(batch.envelopes.values_list("docusign_envelope_id", flat=True))
    assert len(copies) == 3
    assert all(copies)
    assert not ApiCall.objects.filter(method="GET", path="/envelopes").exists()
    time.sleep(1.6)  # past the settle window the worker uses

    db_settings = db.settings_dict
    redis = OwnRedis()
    redis.start()
    env = {
        **os.environ,
        "DJANGO_ENV_FILE": os.devnull,
        "DATABASE_URL": f"postgres://{db_settings['USER']}:{db_settings['PASSWORD']}@"
        f"{db_settings['HOST']}:{db_settings['PORT']}/{db_settings['NAME']}",
        "REDIS_URL": redis.url,
        "SITE_URL": live_server.url,
        "DOCUSIGN_READ_TIMEOUT": "1",
        "DOCUSIGN_SEARCH_LAG_SECONDS": "0.5",
        "ENVELOPES_POLL_TICK_SECONDS": "1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    worker = celery_worker(env, tmp_path / "worker.log", name="own")
    try:
        worker.start()
        wait_for(
            lambda: SyncCursor.objects.filter(
                connection=team_b, last_polled_at__isnull=False
            ).exists(),
            timeout=90,
            what=f"the beat's first listing (log in {tmp_path})",
        )
        wait_for(lambda: statuses()[duplicate] == "voided", timeout=30, what="the duplicate's void")
        time.sleep(4)  # four more ticks: the account is not listed again within the interval
    finally:
        worker.kill()
        redis.stop()
    assert ApiCall.objects.filter(method="GET", path="/envelopes").count() == 1
    status = statuses()
    assert status[a.docusign_envelope_id] == status[b.docusign_envelope_id] == "sent"
    assert status[theirs] == "sent"
    assert {status[c] for c in copies} == {"sent"}
    assert ApiCall.objects.filter(method="PUT").count() == 1
    cursors = SyncCursor.objects.filter(connection__in=[simulator_connection, team_b])
    assert {(c.left_not_ours, c.left_no_row) for c in cursors} == {(1, 0)}
