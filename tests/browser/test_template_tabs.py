"""A sender fills every prefillable field of a DocuSign template (roles as rows, each tab
type its own input), is told about a bad value without losing anything, and sends; the
values arrive at DocuSign (the simulator) and the in-app signer signs. Real Chromium, under
the site's Content-Security-Policy."""

import pytest

from envelopes.models import Envelope
from simulator.models import SimEnvelope
from tests.browser.test_envelope_flow import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def field(page, label, kind="input"):
    return page.locator(f".tab-field[data-label='{label}'] {kind}").first


def test_every_prefillable_tab_type_is_sent_and_signed(
    live_server, page, simulator_connection, sender
):
    UserFactory(username="erin", email="erin@example.com", first_name="Erin")
    csp_violations = []
    page.on(
        "console",
        lambda m: csp_violations.extend([m] if "Content Security Policy" in m.text else []),
    )
    log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/new/")
    page.check("input[name=source][value=template]")
    assert not page.is_visible("#recipients-fieldset")  # the template's roles are the rows
    page.select_option("#id_docusign_template", label="Every field")
    page.wait_for_selector("#template-panel")
    legends = page.locator(".template-role > legend").all_inner_texts()
    assert legends == [
        "Customer: Signer, routing order 1",
        "Account manager: Receives a copy, routing order 2",
    ]
    customer = page.locator(".template-role[data-role='Customer']")
    customer.get_by_label("Name", exact=True).fill("Erin Embedded")
    customer.get_by_label("Email", exact=True).fill("erin@example.com")
    customer.get_by_label("Signs here, in this app").check()
    manager = page.locator(".template-role[data-role='Account manager']")
    manager.get_by_label("Name", exact=True).fill("Max Manager")
    manager.get_by_label("Email", exact=True).fill("max@example.com")
    assert manager.get_by_label("Signs here, in this app").count() == 0  # a copy signs nothing

    # Each type gets its own input.
    assert field(page, "start_date").get_attribute("type") == "date"
    assert field(page, "contact_email").get_attribute("type") == "email"
    assert field(page, "premium").get_attribute("type") == "checkbox"
    field(page, "customer").fill("Cleo Ltd")
    field(page, "seats").fill("twelve")  # wrong, on purpose
    field(page, "start_date").fill("2027-03-01")
    field(page, "contact_email").fill("ops@cleo.example")
    field(page, "company").fill("Cleo Holdings")
    field(page, "job_title").fill("Buyer")
    field(page, "premium").check()
    field(page, "plan", "select").select_option(label="Business")
    page.locator(".tab-field[data-label='billing'] input[value=yearly]").check()
    field(page, "order_ref").fill("PO-77")
    field(page, "priority").check()
    page.fill("#id_subject", "Service order")
    page.click("#send-button")

    # Told exactly what is wrong, next to the field, with everything else kept.
    page.wait_for_selector(".tab-field[data-label='seats'] .error-text")
    error = page.inner_text(".tab-field[data-label='seats'] .error-text")
    assert error == "Customer: seats: 'twelve' is not a number (e.g. 12 or 1250.50)."
    assert not Envelope.objects.exists()
    assert field(page, "customer").input_value() == "Cleo Ltd"
    assert field(page, "start_date").input_value() == "2027-03-01"
    assert field(page, "plan", "select").input_value() == "business"
    assert page.is_checked(".tab-field[data-label='billing'] input[value=yearly]")
    assert field(page, "premium").is_checked()
    assert customer.get_by_label("Signs here, in this app").is_checked()
    assert page.input_value("#id_subject") == "Service order"

    field(page, "seats").fill("12")
    page.click("#send-button")
    page.wait_for_selector("#envelope-status")
    assert page.inner_text("#envelope-status") == "Sent"
    envelope = Envelope.objects.get()

    sim = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    tabs = sim.recipients.get(role_name="Customer").tabs

    def tab(collection, label):
        return next(t for t in tabs[collection] if t.get("tabLabel") == label)

    assert tab("textTabs", "customer")["value"] == "Cleo Ltd"
    assert tab("numberTabs", "seats")["value"] == "12"
    assert tab("dateTabs", "start_date")["value"] == "03/01/2027"
    assert tab("emailTabs", "contact_email")["value"] == "ops@cleo.example"
    assert tab("companyTabs", "company")["value"] == "Cleo Holdings"
    assert tab("titleTabs", "job_title")["value"] == "Buyer"
    assert tab("checkboxTabs", "premium")["selected"] == "true"
    assert tab("listTabs", "plan")["value"] == "business"
    radios = {r["value"]: r["selected"] for r in tabs["radioGroupTabs"][0]["radios"]}
    assert radios == {"monthly": "false", "yearly": "true"}
    prefill = sim.documents.get().tabs["prefillTabs"]
    assert prefill["textTabs"][0]["value"] == "PO-77"
    assert prefill["checkboxTabs"][0]["selected"] == "true"

    # Erin signs: she sees the values as DocuSign holds them.
    page.click("text=Log out")
    log_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("button.sign-now")
    page.wait_for_url("**/simulator/signing/**")
    assert "PO-77" in page.inner_text("#sender-values")
    chosen = page.inner_text("#chosen-values")
    assert "business" in chosen
    assert "yearly" in chosen
    assert page.input_value("input[name='tab:customer']") == "Cleo Ltd"
    assert page.input_value("input[name='tab:start_date']") == "03/01/2027"
    page.click("#finish")
    page.wait_for_url(f"**/envelopes/{envelope.pk}/")
    assert "your signature is recorded" in page.content()
    sim.refresh_from_db()
    assert sim.status == "completed"
    assert not csp_violations, [m.text for m in csp_violations]
