"""A sender picks an in-app signer from the users and protects the signing with an SMS code;
the signer logs in, gets the code texted (the simulator's outbox) and signs. Real Chromium,
under the site's Content-Security-Policy."""

import pytest

from envelopes.models import Envelope
from simulator import control
from tests.browser.test_envelope_flow import log_in
from tests.factories import DocumentTemplateFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_a_user_protect_with_an_sms_code_and_sign(
    live_server, page, simulator_connection, sender
):
    DocumentTemplateFactory(
        name="Offer", body="<p>Offer for {{ name }}: /sig1/ /date1/</p>", fields=[{"name": "name"}]
    )
    UserFactory(username="erin", email="erin@example.com", first_name="Erin", last_name="Ek")
    csp_violations = []
    page.on(
        "console",
        lambda m: csp_violations.extend([m] if "Content Security Policy" in m.text else []),
    )

    log_in(page, live_server.url, "sam")
    page.click("text=New envelope")
    page.select_option("#id_document_template", label="Offer")
    page.fill("input[name=data_name]", "Erin")
    page.fill("#id_subject", "Your offer")
    page.select_option("#id_r-0-signer_user", label="Erin Ek <erin@example.com>")
    # The phone input appears only once an SMS code is chosen.
    assert not page.is_visible("#id_r-0-sms_phone")
    page.select_option("#id_r-0-authentication", label="SMS code")
    assert page.is_visible("#id_r-0-sms_phone")
    assert not page.is_visible("#id_r-0-access_code")
    page.fill("#id_r-0-sms_phone", "07700 900123")
    with page.expect_navigation():  # read the answer, not the page being left
        page.click("#send-button")
    assert "Start with + and the country code" in page.inner_text("#recipients")
    page.fill("#id_r-0-sms_phone", "+44 7700 900123")
    page.click("#send-button")
    page.wait_for_selector("#envelope-status")
    assert page.inner_text("#envelope-status") == "Sent"
    assert "SMS code to +44 •••••••123" in page.content()
    envelope = Envelope.objects.get()

    page.click("text=Log out")
    log_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("button.sign-now")
    page.wait_for_url("**/simulator/signing/**")
    assert "Offer for Erin" not in page.content()  # nothing before the code
    page.click("#send-code")
    page.wait_for_selector("#phone-code")  # the code is sent by the time the page says so
    code = control.text_messages(phone="+44 7700900123")[0].code
    page.fill("#phone-code", code)
    page.click("#verify-code")
    page.wait_for_selector("#finish")
    assert "Offer for Erin" in page.content()
    page.click("#finish")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    assert "your signature is recorded" in page.content()
    assert not csp_violations, [m.text for m in csp_violations]
