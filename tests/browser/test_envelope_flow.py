"""An app user generates, previews and sends; the in-app signer (another app user) logs in
and signs embedded; the second signer signs from the simulator's inbox; the sender downloads
the signed PDF and the certificate. Real Chromium, under the site's Content-Security-Policy."""

import pytest

from envelopes.models import Envelope
from tests.factories import DocumentTemplateFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_generate_preview_send_sign_and_download(live_server, page, simulator_connection, sender):
    DocumentTemplateFactory(
        name="Services agreement",
        body="<h1>Services agreement</h1><p>Between {{ company }} and the client.</p>"
        "<p>Provider: /sig1/ /date1/</p><p>Client: /sig2/ /date2/</p>",
        fields=[{"name": "company", "label": "Company"}],
    )
    UserFactory(username="erin", email="erin@example.com", first_name="Erin")
    csp_violations = []
    page.on(
        "console",
        lambda m: csp_violations.extend([m] if "Content Security Policy" in m.text else []),
    )

    log_in(page, live_server.url, "sam")

    page.click("text=New envelope")
    # One document source at a time: the chosen one's fields only.
    assert page.is_visible("#id_document_template")
    assert not page.is_visible("#id_uploads")
    assert not page.is_visible("#id_docusign_template")
    page.check("input[name=source][value=uploads]")
    assert page.is_visible("#id_uploads")
    assert not page.is_visible("#id_document_template")
    page.check("input[name=source][value=generated]")
    page.select_option("#id_document_template", label="Services agreement")
    page.fill("input[name=data_company]", "Acme Ltd")  # loaded by htmx
    page.fill("#id_subject", "Services agreement")
    page.fill("#id_r-0-name", "Erin Embedded")
    page.fill("#id_r-0-email", "erin@example.com")
    page.check("#id_r-0-embedded")
    page.click("#add-recipient")
    page.fill("#id_r-1-name", "Rita Remote")
    page.fill("#id_r-1-email", "rita@example.com")
    assert page.input_value("#id_r-1-routing_order") == "2"

    page.click("#preview-button")
    assert (
        "Between Acme Ltd and the client."
        in page.frame_locator("#preview").locator("body").inner_text()
    )
    assert page.input_value("#id_r-1-name") == "Rita Remote"  # nothing typed is lost

    page.click("#send-button")
    page.wait_for_selector("#envelope-status")
    assert page.inner_text("#envelope-status") == "Sent"
    envelope = Envelope.objects.get()

    # Only Erin, logged in, can open her signing session: the sender has no such button.
    assert page.locator("button.sign-now").count() == 0
    page.click("text=Log out")
    log_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("button.sign-now")
    page.wait_for_url("**/simulator/signing/**")
    assert "Between Acme Ltd and the client." in page.content()
    page.click("#finish")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    assert "your signature is recorded" in page.content()

    page.goto(f"{live_server.url}/simulator/inbox/?email=rita@example.com")
    page.click("text=Review document")
    page.click("#finish")

    page.goto(f"{live_server.url}/envelopes/")
    page.click("text=Log out")
    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("#refresh")
    # Completed: the signed documents with the certificate are kept and offered from here.
    page.wait_for_selector("#signed-documents >> text=with certificate")
    assert page.inner_text("#envelope-status") == "Completed"

    combined = page.request.get(f"{live_server.url}/envelopes/{envelope.pk}/documents/combined/")
    certificate = page.request.get(
        f"{live_server.url}/envelopes/{envelope.pk}/documents/certificate/"
    )
    assert combined.ok
    assert combined.body().startswith(b"%PDF")
    assert b"Acme Ltd" in combined.body()
    assert b"Certificate Of Completion" in certificate.body()
    assert envelope.events.get(kind="signing session opened").actor.username == "erin"
    assert not csp_violations, [m.text for m in csp_violations]


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
