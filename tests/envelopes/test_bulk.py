"""Bulk send against the simulator over real HTTP: a handful of calls, every row tracked,
a lost answer never makes a second batch."""

import time

import pytest
from django.utils import timezone

from connections.models import ApiCall
from connections.services import get_client
from envelopes.bulk import batches, compose
from envelopes.bulk import rows as bulk_csv
from envelopes.composing import prepare
from envelopes.models import BulkBatch, Envelope
from envelopes.tracking.polling import poll_connection
from simulator import control
from simulator.models import SimBulkBatch, SimEnvelope
from tests.factories import DocumentTemplateFactory

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "<h1>Offer for {{ name }}</h1><p>Start: {{ start }}</p><p>/sig1/ /date1/</p>"


@pytest.fixture
def offer():
    return DocumentTemplateFactory(
        name="Offer",
        body=BODY,
        fields=[
            {"name": "name", "label": "Name", "required": True},
            {"name": "start", "label": "Start date", "required": True, "type": "date"},
        ],
    )


@pytest.fixture(autouse=True)
def _prompt_bulk(settings):
    settings.SIMULATOR_BULK_START_SECONDS = 0
    settings.SIMULATOR_BULK_COPIES_PER_SECOND = 10000
    settings.ENVELOPES_BULK_TRACK_SECONDS = 0


def csv_rows(n, *, bad_domain_rows=()):
    lines = ["Signer::Name,Signer::Email,name,start"]
    for i in range(1, n + 1):
        domain = "example.invalid" if i in bad_domain_rows else "example.com"
        lines.append(f"Person {i},person{i}@{domain},Person {i},2026-02-0{1 + i % 9}")
    return "\n".join(lines) + "\n"


def wait_for_docusign(batch_id):
    """Until the simulator has made every copy of the batch (its worker thread)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sim = SimBulkBatch.objects.get(batch_id=batch_id)
        if sim.processed == len(sim.copies):
            return
        time.sleep(0.1)
    raise AssertionError("the simulator did not make the batch's envelopes in 30 s")


def prepare_batch(connection, sender, template, text):
    layout = compose.layout_for_document(template)
    parsed = bulk_csv.parse(text, layout)
    assert parsed.ok, parsed.errors
    return compose.prepare_bulk_send(
        compose.BulkRequest(
            connection=connection,
            sender=sender,
            name="offers.csv",
            subject="Your offer",
            layout=layout,
            rows=parsed.rows,
            document_template=template,
        )
    )


def run_until_done(batch, rounds=20):
    """The worker's rounds; the first sends, later ones track (after DocuSign has worked)."""
    for _ in range(rounds):
        if batch.docusign_batch_id:
            wait_for_docusign(batch.docusign_batch_id)
        batch = batches.advance_bulk_batch(batch_id=str(batch.pk))
        if batch.is_final:
            return batch
    raise AssertionError(f"batch still {batch.status} after {rounds} rounds")


def test_bulk_send_of_generated_document_costs_a_handful_of_calls(
    simulator_connection, sender, offer
):
    before = ApiCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    batch = prepare_batch(simulator_connection, sender, offer, csv_rows(30, bad_domain_rows={7}))
    batch = run_until_done(batch)
    calls = list(
        ApiCall.objects.filter(pk__gt=before)
        .exclude(path="/oauth/token")
        .order_by("pk")
        .values_list("method", "path")
    )
    posts = [path for method, path in calls if method == "POST"]
    # The draft, the list, the send: 3 calls for 30 envelopes (and for 1,000).
    assert posts == ["/envelopes", "/bulk_send_lists", "/bulk_send_lists/{bulkSendListId}/send"]
    assert len(calls) - len(posts) <= 3  # the batch's status, then its envelopes (one page)
    assert batch.status == BulkBatch.Status.FINISHED
    rows = batch.envelopes.all()
    assert rows.filter(status=Envelope.Status.SENT).count() == 29
    failed = rows.get(status=Envelope.Status.FAILED)
    assert failed.bulk_row == 8  # CSV line 8 = data row 7
    assert "person7@example.invalid" in failed.error_detail
    # each linked row is its own DocuSign envelope, carrying its values in a locked tab
    ids = set(rows.exclude(docusign_envelope_id="").values_list("docusign_envelope_id", flat=True))
    assert len(ids) == 29
    sim = SimEnvelope.objects.get(envelope_id=rows.get(bulk_row=2).docusign_envelope_id)
    tab = sim.recipients.get().tabs["textTabs"][0]
    assert (tab["tabLabel"], tab["value"], tab["locked"]) == ("name", "Person 1", "true")
    assert sim.recipients.get().email == "person1@example.com"


def test_envelopes_of_a_batch_are_tracked_like_any_other(simulator_connection, sender, offer):
    batch = run_until_done(prepare_batch(simulator_connection, sender, offer, csv_rows(5)))
    for sim in SimEnvelope.objects.filter(status="sent"):
        for recipient in sim.recipients.all():
            from simulator.esign import lifecycle

            lifecycle.sign(recipient, {})
    poll_connection(simulator_connection, get_client(simulator_connection))
    assert batch.envelopes.filter(status=Envelope.Status.COMPLETED).count() == 5


def test_a_send_whose_answer_was_lost_is_found_not_repeated(
    simulator_connection, sender, offer, settings
):
    control.drop_connections(operation="BulkSendV2Send_PostBulkSendRequest")
    batch = prepare_batch(simulator_connection, sender, offer, csv_rows(3))  # eager: runs at once
    batch.refresh_from_db()
    assert batch.status == BulkBatch.Status.QUEUED  # outcome unknown: waits, sends nothing
    assert batch.send_started_at is not None
    assert not batch.docusign_batch_id
    BulkBatch.objects.filter(pk=batch.pk).update(next_attempt_at=timezone.now())
    batch = run_until_done(batch)
    assert SimBulkBatch.objects.count() == 1  # found by its name, not sent again
    assert batch.docusign_batch_id == SimBulkBatch.objects.get().batch_id
    assert batch.envelopes.filter(status=Envelope.Status.SENT).count() == 3


def test_a_rate_limited_send_waits_until_docusign_allows_it(
    simulator_connection, sender, offer, monkeypatch
):
    from connections.docusign import bulk_send
    from connections.docusign.errors import RateLimited

    real_send = bulk_send.send_list
    retry_at = time.time() + 1800

    def refused(*args, **kwargs):
        raise RateLimited(scope=RateLimited.HOURLY, retry_at=retry_at)

    monkeypatch.setattr(bulk_send, "send_list", refused)
    batch = prepare_batch(simulator_connection, sender, offer, csv_rows(2))  # eager: runs at once
    batch.refresh_from_db()
    assert batch.status == BulkBatch.Status.QUEUED
    assert batch.list_id
    assert batch.draft_envelope_id
    assert batch.send_started_at is None  # refused: nothing to look for
    assert abs(batch.next_attempt_at.timestamp() - retry_at) < 1  # DocuSign's time, no sooner
    assert batch.attempts == 0  # a rate limit is not a failed attempt
    monkeypatch.setattr(bulk_send, "send_list", real_send)
    BulkBatch.objects.filter(pk=batch.pk).update(next_attempt_at=timezone.now())
    assert run_until_done(batch).envelopes.filter(status=Envelope.Status.SENT).count() == 2
    assert SimBulkBatch.objects.count() == 1


def test_bulk_send_from_a_docusign_template_prefills_its_fields(simulator_connection, sender):
    from simulator.models import SimTemplate

    template = SimTemplate.objects.get(name="Mutual NDA")
    roles = prepare.template_roles(
        connection=simulator_connection, template_id=template.template_id
    )
    layout = compose.layout_for_template(roles)
    assert layout.columns()[:4] == [
        "Company::Name",
        "Company::Email",
        "Company::company_name",
        "Company::effective_date",
    ]
    text = (
        ",".join(layout.columns())
        + "\n"
        + "".join(
            f"Cy {n},cy{n}@example.com,Acme {n},2026-01-0{n},Sig {n},sig{n}@example.com\n"
            for n in (1, 2)
        )
    )
    parsed = bulk_csv.parse(text, layout)
    assert parsed.ok, parsed.errors
    batch = compose.prepare_bulk_send(
        compose.BulkRequest(
            connection=simulator_connection,
            sender=sender,
            name="ndas.csv",
            subject="Our NDA",
            layout=layout,
            rows=parsed.rows,
            docusign_template_id=template.template_id,
            docusign_template_name=template.name,
        )
    )
    batch = run_until_done(batch)
    row = batch.envelopes.get(bulk_row=3)
    assert row.status == Envelope.Status.SENT
    sim = SimEnvelope.objects.get(envelope_id=row.docusign_envelope_id)
    company = sim.recipients.get(role_name="Company")
    assert company.email == "cy2@example.com"
    values = {t["tabLabel"]: t["value"] for t in company.tabs["textTabs"]}
    assert values == {"company_name": "Acme 2", "effective_date": "2026-01-02"}
    # Our rows know the template's recipient ids, so tracking updates the right people.
    assert {r.role_name: r.recipient_id for r in row.recipients.all()} == {
        r.role_name: r.recipient_id for r in sim.recipients.all()
    }


def test_connect_alone_completes_a_batchs_envelopes(
    simulator_connection, sender, offer, live_server
):
    """Connect messages that arrive before a row is linked are kept, then applied on linking;
    later ones complete the envelopes with no polling at all."""
    from simulator.esign import lifecycle
    from simulator.models import SimAccount, SimConnectConfig
    from tests.envelopes.test_connect_loop import wait_for

    simulator_connection.connect_hmac_secrets = "shared-connect-key"
    simulator_connection.save()
    SimConnectConfig.objects.create(
        account=SimAccount.objects.get(account_id=simulator_connection.account_id),
        url=f"{live_server.url}/envelopes/connect/{simulator_connection.connect_token}/",
        hmac_secrets="shared-connect-key",
    )
    batch = run_until_done(prepare_batch(simulator_connection, sender, offer, csv_rows(4)))
    assert batch.envelopes.filter(status=Envelope.Status.SENT).count() == 4
    polls = ApiCall.objects.filter(method="GET", path="/envelopes").count()
    for sim in SimEnvelope.objects.filter(status="sent"):
        for recipient in sim.recipients.all():
            lifecycle.sign(recipient, {})
    assert wait_for(
        lambda: batch.envelopes.filter(status=Envelope.Status.COMPLETED).count() == 4, 30
    )
    assert ApiCall.objects.filter(method="GET", path="/envelopes").count() == polls


def test_without_a_broker_the_dev_poller_carries_a_batch_to_its_end(
    simulator_connection, sender, offer
):
    from envelopes import dev_poller

    batch = prepare_batch(simulator_connection, sender, offer, csv_rows(3))  # sent inline
    wait_for_docusign(BulkBatch.objects.get(pk=batch.pk).docusign_batch_id)
    for _ in range(5):
        dev_poller.tick()
    batch.refresh_from_db()
    assert batch.status == BulkBatch.Status.FINISHED
    assert batch.envelopes.filter(status=Envelope.Status.SENT).count() == 3
