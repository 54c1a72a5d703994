"""A sender bulk sends a 25-row CSV with 2 bad rows: the bad rows are named before anything
is sent; the 23 good ones are sent through DocuSign's Bulk Send, tracked live on the batch
page (no inline script: CSP), and completed. Real Chromium against the simulator."""

import pytest
from playwright.sync_api import expect

from connections.services import get_client
from envelopes.bulk import batches
from envelopes.models import BulkBatch, Envelope
from envelopes.tracking.polling import poll_connection
from simulator.esign import lifecycle
from simulator.models import SimBulkBatch, SimEnvelope
from tests.browser.test_envelope_flow import log_in
from tests.factories import DocumentTemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows_csv() -> str:
    lines = ["Signer::Name,Signer::Email,name,start"]
    for i in range(1, 26):
        email = f"person{i}@example.com"
        start = f"2026-03-{i:02d}"
        if i == 5:
            email = "person5-at-example.com"  # not an email address
        if i == 17:
            start = "17/03/2026"  # not YYYY-MM-DD
        lines.append(f"Person {i},{email},Person {i},{start}")
    return "\n".join(lines) + "\n"


def test_bulk_send_names_bad_rows_then_sends_tracks_and_completes_the_good_ones(
    live_server, page, simulator_connection, settings, tmp_path, sender
):
    settings.SIMULATOR_BULK_START_SECONDS = 0
    settings.ENVELOPES_BULK_TRACK_SECONDS = 0
    DocumentTemplateFactory(
        name="Offer letter",
        body="<h1>Offer for {{ name }}</h1><p>Starting {{ start }}</p><p>/sig1/ /date1/</p>",
        fields=[
            {"name": "name", "label": "Name"},
            {"name": "start", "label": "Start date", "type": "date"},
        ],
    )
    csp_violations = []
    page.on(
        "console",
        lambda m: csp_violations.extend([m] if "Content Security Policy" in m.text else []),
    )
    log_in(page, live_server.url, "sam")
    page.click("text=Bulk send")
    page.check("input[name=source][value=generated]")
    page.select_option("#id_document_template", label="Offer letter")
    # The example CSV for the chosen template downloads with the expected header.
    with page.expect_download() as download:
        page.click("#example-link")
    example = tmp_path / "example.csv"
    download.value.save_as(example)
    assert example.read_text().splitlines()[0] == "Signer::Name,Signer::Email,name,start"

    csv_file = tmp_path / "offers.csv"
    csv_file.write_text(rows_csv())
    page.fill("#id_subject", "Your offer letter")
    page.set_input_files("#id_csv_file", str(csv_file))
    page.click("button[value=send]")

    # Nothing sent yet: the two bad rows are named, with the column and what is wrong.
    errors = page.locator("#row-errors tbody tr")
    assert errors.count() == 2
    assert errors.nth(0).inner_text().split("\t")[:2] == ["6", "Signer::Email"]
    assert "not an email address" in errors.nth(0).inner_text()
    assert errors.nth(1).inner_text().split("\t")[:2] == ["18", "start"]
    assert "YYYY-MM-DD" in errors.nth(1).inner_text()
    assert not BulkBatch.objects.exists()
    assert not SimBulkBatch.objects.exists()

    page.check("#id_skip_bad")
    page.click("button[value=send]")
    page.wait_for_selector("#bulk-progress")
    batch = BulkBatch.objects.get()
    assert batch.size == 23
    assert SimBulkBatch.objects.get().batch_id == batch.docusign_batch_id  # one send, one batch

    # The worker's rescheduled rounds (eager in tests): DocuSign makes them, we link them.
    for _ in range(10):
        advanced = batches.advance_bulk_batch(batch_id=str(batch.pk))
        assert advanced is not None
        batch = advanced
        if batch.is_final:
            break
    assert batch.status == BulkBatch.Status.FINISHED
    expect(page.locator("#bulk-progress [data-field=created]")).to_have_text("23", timeout=20_000)
    assert page.locator("#bulk-bar").get_attribute("value") == "100"

    # Every recipient signs at DocuSign; polling brings the news; the page shows it live.
    for sim in SimEnvelope.objects.filter(status="sent"):
        for recipient in sim.recipients.all():
            lifecycle.sign(recipient, {})
    poll_connection(simulator_connection, get_client(simulator_connection))
    expect(page.locator("#bulk-progress [data-field=completed]")).to_have_text("23", timeout=20_000)
    assert batch.envelopes.filter(status=Envelope.Status.COMPLETED).count() == 23
    page.reload()
    assert page.locator("#bulk-rows tbody tr").count() == 23
    assert csp_violations == []
