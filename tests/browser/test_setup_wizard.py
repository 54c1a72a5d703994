"""A new staff member sets up DocuSign from zero against the simulator, in Chromium:
Apps and Keys, the wizard, consent from the emailed link, green; then production; then a
revoked consent shows up with the way to re-send it. Counts the staff member's actions."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from connections.models import Connection
from simulator.oauth.services import create_user
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Actions:
    """Counts honestly what the staff member does: clicks (switching between DocuSign and
    the wizard counts as one), fields typed or pasted, and values copied by hand."""

    def __init__(self, page):
        self.page, self.count, self.fields, self.copied = page, 0, 0, 0

    def click(self, selector):
        self.count += 1
        self.page.click(selector)

    def go(self, url):
        self.count += 1  # a tab switch or a link
        self.page.goto(url)

    def fill(self, selector, value):
        self.fields += 1
        self.page.fill(selector, value)

    def copy_by_hand(self, selector):
        self.copied += 1
        return self.page.inner_text(selector)


def consent_from_email(page, live_server):
    """The impersonated user opens the link in the newest email and allows access."""
    link = re.search(r"https?://\S+/oauth/auth\?\S+", str(mail.outbox[-1].body)).group(0)
    user_page = page.context.new_page()
    user_page.goto(link)
    if user_page.locator("#email").count():
        user_page.fill("#email", "dana@example.com")
        user_page.click("button:has-text('Log in')")
        user_page.wait_for_load_state()
    if user_page.locator("#allow").count():
        user_page.click("#allow")
    user_page.wait_for_selector("text=Thank you")
    user_page.close()


def test_from_zero_to_green_then_production_then_revoked(live_server, page, settings):
    settings.SITE_URL = live_server.url
    settings.DOCUSIGN_DEMO_AUTH_SERVER = f"{live_server.url}/simulator"
    settings.DOCUSIGN_PRODUCTION_AUTH_SERVER = f"{live_server.url}/simulator"
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [".docusign.net", "localhost", "127.0.0.1"]
    settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK = True
    create_user(
        name="Dana Demo", email="dana@example.com", account_name="Acme"
    )  # exists at DocuSign
    staff = UserFactory(username="olivia", is_staff=True, is_superuser=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="connections"))
    page.goto(f"{live_server.url}/admin/login/?next=/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    act = Actions(page)

    # DocuSign's Apps and Keys page (simulated): the app, its redirect URI.
    act.go(f"{live_server.url}/simulator/apps/")
    act.fill("form:has(input[value=create_app]) input[name=name]", "Countersign")
    act.click("text=Add app and integration key")
    integration_key = act.copy_by_hand(".integration-key")
    user_id = act.copy_by_hand(".user-id")

    act.go(f"{live_server.url}/")
    act.click("text=Set up DocuSign")
    wizard_start = page.url
    act.click("[data-copy=redirect-uri]")
    redirect_uri = page.inner_text("#redirect-uri")
    act.go(f"{live_server.url}/simulator/apps/")
    act.fill("form:has(input[value=add_redirect_uri]) input[name=uri]", redirect_uri)
    act.click("text=Add URI")

    act.go(wizard_start)
    act.fill("#id_name", "Acme")
    act.fill("#id_integration_key", integration_key)
    act.click("button:has-text('Next')")
    act.click("#generate")
    act.click("[data-copy=public-key]")
    public_key = page.inner_text("#public-key")
    key_page = page.url
    page.reload()  # a reload shows the public key again
    assert page.inner_text("#public-key") == public_key
    act.go(f"{live_server.url}/simulator/apps/")
    act.fill("form:has(input[value=upload_public_key]) textarea", public_key)
    act.click("text=Upload public key")
    act.go(key_page)
    act.click("#next")
    act.fill("#id_user_id", user_id)
    act.fill("#id_user_email", "dana@example.com")
    act.click("button:has-text('Next')")
    act.click("#email-link")

    consent_from_email(page, live_server)
    page.wait_for_selector("#connection-status:has-text('Connected')", timeout=20_000)
    act.click("text=finish")
    assert "can send envelopes" in page.content()
    # docs/connections.md: zero to green in this many clicks, fields and hand-copied values
    # (tests/test_docs.py checks the page states these figures).
    assert (act.count, act.fields, act.copied) == (18, 7, 2)

    # Production: same key, the production user consents again.
    act.click("#promote-link")
    page.fill("#id_user_id", user_id)
    page.fill("#id_user_email", "dana@example.com")
    act.click("#promote")
    act.click("#email-link")
    consent_from_email(page, live_server)
    page.wait_for_selector("#connection-status:has-text('Connected')", timeout=20_000)
    production = Connection.objects.get(environment="production")
    assert production.status == Connection.Status.CONNECTED

    # The user withdraws consent at DocuSign; the next check says so, with the way back.
    page.goto(f"{live_server.url}/simulator/apps/")
    page.click("text=Revoke")
    page.goto(f"{live_server.url}/connections/setup/{production.pk}/")
    page.click("#check-again")
    page.wait_for_selector("#email-link")
    assert "Awaiting consent" in page.content()
    production.refresh_from_db()
    assert production.status == Connection.Status.AWAITING_CONSENT
