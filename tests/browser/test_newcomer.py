"""A newcomer's first document: `make run`, the printed login, a remote signer who signs in
the simulator's inbox in another tab, and "Completed" appearing without a refresh click."""

import pytest

from tests.support.make_run import Checkout, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_from_make_run_to_a_signed_document_without_clicking_refresh(browser, tmp_path):
    checkout = Checkout(tmp_path)
    try:
        url = checkout.start(PORT=str(free_port()))
        username, password = checkout.login()
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(20_000)
        page = context.new_page()

        page.goto(f"{url}/")  # the address make run printed
        page.click("text=Log in")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.click("text=New envelope")
        page.wait_for_load_state()  # htmx listens only once its deferred script ran
        page.select_option("#id_document_template", label="Services agreement (sample)")
        page.fill("input[name=data_company]", "Acme Ltd")  # loaded by htmx
        page.fill("input[name=data_services]", "Garden design")
        page.fill("#id_subject", "Services agreement")
        page.fill("#id_r-0-name", "Rita Remote")
        page.fill("#id_r-0-email", "rita@example.com")
        page.click("#send-button")
        page.wait_for_selector("#envelope-status:has-text('Sent')")

        inbox = context.new_page()  # the signer, elsewhere
        inbox.goto(f"{url}/simulator/inbox/?email=rita@example.com")
        inbox.click("text=Review document")
        inbox.click("#finish")
        inbox.close()

        # Connect (seeded with an HMAC key) tells the server; the page updates by itself.
        page.wait_for_selector("#envelope-status:has-text('Completed')", timeout=45_000)
        # The signed documents are offered (kept here once fetched, else from DocuSign).
        page.wait_for_selector("text=/[Ss]igned documents/")
        context.close()
    finally:
        checkout.stop()
