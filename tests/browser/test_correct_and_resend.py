"""The sender's workflow after sending, in real Chromium under the site's CSP: correct an
in-app signer's email (the corrected signer then signs embedded), resend, and edit a failed
envelope and send it again."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope
from simulator import control
from simulator.models import SimEnvelope
from tests.browser.test_envelope_flow import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"


def watch_csp(page):
    violations = []
    page.on(
        "console",
        lambda m: violations.extend([m] if "Content Security Policy" in m.text else []),
    )
    return violations


def queued(connection, user, recipients):
    return prepare.prepare_envelope(
        connection=connection,
        sender=user,
        subject="Contract",
        recipients=recipients,
        uploads=[SimpleUploadedFile("contract.pdf", PDF)],
    )


def test_correct_an_in_app_signers_email_then_the_new_signer_signs_embedded(
    live_server, page, simulator_connection, sender, app_signer
):
    violations = watch_csp(page)
    sam = sender
    UserFactory(username="fred", email="fred@example.com")
    envelope = queued(
        simulator_connection, sam, [RecipientInput("Erin", "erin@example.com", embedded=True)]
    )
    recipient = envelope.recipients.get()

    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click(f"[data-correct='{recipient.pk}']")
    # A typo is explained and what was typed stays.
    page.fill("#id_name", "Fred")
    page.fill("#id_email", "fred@example")
    page.click("#correct-submit")
    assert "Enter a valid email address." in page.content()
    assert page.input_value("#id_name") == "Fred"
    page.fill("#id_email", "fred@example.com")
    page.click("#correct-submit")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    page.wait_for_selector("text=Fred <fred@example.com>")
    assert "Corrected" in page.inner_text("body")
    at_docusign = SimEnvelope.objects.get().recipients.get()
    assert at_docusign.email == "fred@example.com"

    page.click("text=Log out")
    log_in(page, live_server.url, "fred")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("button.sign-now")
    page.wait_for_url("**/simulator/signing/**")
    page.click("#finish")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    assert "your signature is recorded" in page.content()
    assert SimEnvelope.objects.get().status == "completed"
    assert not violations, [m.text for m in violations]


def test_resend_to_the_recipients_who_have_not_acted(
    live_server, page, simulator_connection, sender
):
    violations = watch_csp(page)
    sam = sender
    envelope = queued(simulator_connection, sam, [RecipientInput("Rita", "rita@example.com")])
    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("#resend")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    page.wait_for_selector("text=Resent")
    assert "by sam" in page.inner_text("body")
    assert SimEnvelope.objects.get().recipients.get().notifications_sent == 2
    assert not violations, [m.text for m in violations]


def test_edit_a_failed_envelope_and_send_it_again(live_server, page, simulator_connection, sender):
    violations = watch_csp(page)
    sam = sender
    control.inject_fault(status=400, count=1, operation=control.CREATE)
    envelope = queued(simulator_connection, sam, [RecipientInput("Rita", "rita@example.org")])
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.FAILED

    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("#edit-failed")
    page.fill("#id_subject", "Contract, corrected")
    page.fill("#id_r-0-email", "not an email")
    page.click("#resubmit-button")
    assert "Enter a valid email address." in page.content()
    assert page.input_value("#id_subject") == "Contract, corrected"  # nothing typed is lost
    page.fill("#id_r-0-email", "rita@example.com")
    page.click("#add-recipient")
    page.fill("#id_r-1-name", "Sue")
    page.fill("#id_r-1-email", "sue@example.com")
    page.click("#resubmit-button")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    page.wait_for_selector("#envelope-status >> text=Sent")
    body = page.inner_text("body")
    assert "Sending failed" in body  # the history is kept
    assert "Resubmitted" in body
    at_docusign = SimEnvelope.objects.get()
    assert at_docusign.email_subject == "Contract, corrected"
    assert sorted(r.email for r in at_docusign.recipients.all()) == [
        "rita@example.com",
        "sue@example.com",
    ]
    assert Envelope.objects.count() == 1
    assert not violations, [m.text for m in violations]
