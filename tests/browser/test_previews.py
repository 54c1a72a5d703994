"""Previews render in real Chromium: an envelope's documents as DocuSign holds them, a
DocuSign template's documents with the values to be filled in, chosen PDFs before upload.
A PDF shows in Chromium's own viewer (an extension frame), never as a page of ours."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from simulator.esign.pdf import text_pdf
from tests.browser.test_envelope_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_viewers(page):
    return [f for f in page.frames if f.url.startswith("chrome-extension://")]


def wait_for_viewers(page, count):
    for _ in range(50):
        if len(pdf_viewers(page)) >= count:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{count} PDF viewer(s) expected; frames: {[f.url for f in page.frames]}")


@pytest.fixture
def console(page):
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    return messages


def test_the_envelope_page_previews_docusigns_documents(
    live_server, page, simulator_connection, sender, console
):
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sender,
        subject="Lease",
        recipients=[RecipientInput("Rita", "rita@example.com")],
        uploads=[SimpleUploadedFile("lease.html", b"<p>Rent is due monthly.</p>")],
    )
    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    assert pdf_viewers(page) == []  # nothing asked of DocuSign until requested
    page.click("#show-preview")
    wait_for_viewers(page, 1)
    assert not [m for m in console if "Content Security Policy" in m]


def test_compose_previews_a_template_and_chosen_pdfs(
    live_server, page, simulator_connection, sender, console, tmp_path
):
    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/new/")
    page.check("input[name=source][value=uploads]")
    pdf = tmp_path / "offer.pdf"
    pdf.write_bytes(text_pdf([["An offer"]]))
    word = tmp_path / "notes.html"
    word.write_bytes(b"<p>notes</p><script>document.title='pwned'</script>")
    page.set_input_files("#id_uploads", [str(pdf), str(word)])
    page.wait_for_selector("#upload-preview-0")
    wait_for_viewers(page, 1)
    previews = page.locator(".upload-preview")
    note = previews.nth(1).inner_text()
    assert note.startswith("notes.html")
    assert "DocuSign converts this document to PDF" in note
    assert page.locator("#upload-preview-1").count() == 0  # HTML is never shown as a page

    page.check("input[name=source][value=template]")
    page.select_option("#id_docusign_template", label="Every field")
    page.wait_for_selector("#template-panel")
    page.locator(".tab-field[data-label='start_date'] input").fill("2027-03-01")
    page.locator(".tab-field[data-label='plan'] select").select_option(label="Enterprise")
    page.fill("#id_subject", "Service order")
    page.click("#preview-button")
    page.wait_for_selector("#values-to-fill")
    table = page.inner_text("#values-to-fill")
    assert "03/01/2027" in table
    assert "Enterprise" in table
    assert page.locator("iframe.template-document").count() == 1
    wait_for_viewers(page, 1)
    assert page.title() != "pwned"
    assert not [m for m in console if "Content Security Policy" in m]
