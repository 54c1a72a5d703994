"""Consent links: signed and expiring state, the email, and the public return page."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection as db
from django.urls import reverse

from connections import consent
from connections.models import Connection, ConsentRequest
from tests.conftest import DEMO_AUTH
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
RETURN = reverse("connections:consent-return")


@pytest.fixture
def pending(docusign_hosts, superuser):
    return consent.request_consent(
        connection=ConnectionFactory(status=Connection.Status.AWAITING_CONSENT),
        requested_by=superuser,
    )


def test_the_link_has_docusigns_parameters_and_a_signed_state(pending, settings):
    query = parse_qs(urlsplit(consent.link_for(pending)).query)
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["signature impersonation"]
    assert query["client_id"] == [pending.connection.integration_key]
    assert query["redirect_uri"] == [f"{settings.SITE_URL}/connections/consent/return/"]
    assert signing.loads(query["state"][0], salt=consent.SALT) == {"r": str(pending.pk)}


def token_answers(**answer):
    """DocuSign's token endpoint: a token (consent exists) or an error such as
    consent_required (no consent from the connection's user)."""
    if "error" in answer:
        responses.post(f"{DEMO_AUTH}/oauth/token", json=answer, status=400)
        return
    responses.post(
        f"{DEMO_AUTH}/oauth/token",
        json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.get(f"{DEMO_AUTH}/oauth/userinfo", json=USERINFO)
    responses.get(
        "https://demo.docusign.net/restapi/v2.1/accounts/" + ACCOUNT_ID,
        json={"accountName": "Demo"},
    )


ACCOUNT_ID = "00000000-0000-0000-0000-00000000000a"
USERINFO: dict[str, object] = {
    "sub": "u",
    "name": "Dana Demo",
    "email": "signer-bot@example.com",
    "accounts": [
        {
            "account_id": ACCOUNT_ID,
            "is_default": True,
            "account_name": "Demo",
            "base_uri": "https://demo.docusign.net",
        }
    ],
}


class Page:
    def __init__(self, status_code, content):
        self.status_code, self.content = status_code, content


def allow(client, request, django_capture_on_commit_callbacks):
    """The user chose Allow access: the return page, then (once the worker has asked
    DocuSign) what it shows as it refreshes itself."""
    state = consent.state_for(request)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(RETURN, {"code": "the-auth-code", "state": state})
    assert "Checking with DocuSign" in response.content.decode()
    result = client.get(reverse("connections:consent-result"), {"state": state})
    request.refresh_from_db()
    return Page(response.status_code, result.content)


@responses.activate
def test_an_allow_is_confirmed_with_docusign_before_thanking(
    client, pending, django_capture_on_commit_callbacks
):
    token_answers()
    pending.connection.account_id = ACCOUNT_ID
    pending.connection.save()
    response = allow(client, pending, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "DocuSign confirms" in response.content.decode()
    assert pending.outcome == ConsentRequest.Outcome.GRANTED
    assert any("/oauth/token" in c.request.url for c in responses.calls)  # the check ran


@responses.activate
def test_an_allow_by_another_docusign_user_is_named_not_thanked(
    client, pending, django_capture_on_commit_callbacks
):
    """DocuSign answers consent_required for the connection's user: whoever chose Allow
    access was logged in as someone else. Both they and staff are told who is needed."""
    token_answers(error="consent_required")
    response = allow(client, pending, django_capture_on_commit_callbacks)
    page = response.content.decode()
    assert "Thank you" not in page
    assert "different DocuSign user" in page
    assert pending.connection.user_email in page
    assert pending.outcome == ConsentRequest.Outcome.WRONG_USER
    pending.connection.refresh_from_db()
    assert pending.connection.status == Connection.Status.AWAITING_CONSENT


@responses.activate
@pytest.mark.parametrize("link_state", ["expired", "superseded", "declined", "used"])
def test_an_allow_on_any_link_tells_what_docusign_holds(
    client, pending, superuser, monkeypatch, link_state, django_capture_on_commit_callbacks
):
    """DocuSign records consent at Allow whatever our link's state: an old, replaced,
    declined or used link never claims "expired" or "already used"."""
    token_answers()
    pending.connection.account_id = ACCOUNT_ID
    pending.connection.save()
    if link_state == "expired":
        monkeypatch.setattr(consent, "lifetime", lambda: timedelta(seconds=-1))
    elif link_state == "superseded":
        consent.request_consent(connection=pending.connection, requested_by=superuser)
    elif link_state == "declined":
        client.get(RETURN, {"error": "access_denied", "state": consent.state_for(pending)})
    else:
        allow(client, pending, django_capture_on_commit_callbacks)
    page = allow(client, pending, django_capture_on_commit_callbacks).content.decode()
    assert "DocuSign confirms" in page
    assert "expired" not in page
    assert "already used" not in page
    assert pending.outcome == ConsentRequest.Outcome.GRANTED  # staff no longer see "Declined"


def test_without_a_worker_result_yet_the_page_says_it_is_checking(client, pending):
    response = client.get(RETURN, {"code": "c", "state": consent.state_for(pending)})
    page = response.content.decode()
    assert "Checking with DocuSign" in page
    assert reverse("connections:consent-result") in page  # it refreshes itself
    pending.refresh_from_db()
    assert pending.outcome == ConsentRequest.Outcome.CHECKING


@responses.activate
def test_the_result_page_follows_the_worker(client, pending):
    state = consent.state_for(pending)
    client.get(RETURN, {"code": "c", "state": state})
    url = reverse("connections:consent-result")
    assert "Checking with DocuSign" in client.get(url, {"state": state}).content.decode()
    token_answers(error="consent_required")
    from connections.tasks import confirm_consent

    confirm_consent(str(pending.pk))  # the worker
    assert "different DocuSign user" in client.get(url, {"state": state}).content.decode()
    assert client.get(url, {"state": "forged"}).status_code == 404


def test_the_code_is_never_stored_or_logged(client, pending, caplog):
    caplog.set_level(logging.DEBUG)
    client.get(RETURN, {"code": "secret-auth-code-123", "state": consent.state_for(pending)})
    assert "secret-auth-code-123" not in caplog.text
    with db.cursor() as cursor:
        for table in (
            "connections_consentrequest",
            "connections_connection",
            "connections_apicall",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            assert "secret-auth-code-123" not in str(cursor.fetchall())


def test_declined_consent_shows_docusigns_message(client, pending):
    response = client.get(
        RETURN,
        {
            "error": "access_denied",
            "error_message": "The user did not consent to connecting the application.",
            "state": consent.state_for(pending),
        },
    )
    assert "did not consent" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.outcome, pending.error_code) == ("declined", "access_denied")


def test_error_description_is_accepted_too(client, pending):
    client.get(
        RETURN,
        {"error": "access_denied", "error_description": "No.", "state": consent.state_for(pending)},
    )
    pending.refresh_from_db()
    assert pending.error_message == "No."


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(lambda: "forged", id="garbage"),
        # Made at run time: signed values carry a timestamp, which would change the test's ID.
        pytest.param(lambda: signing.dumps({"r": "x"}, salt="other-salt"), id="other-salt"),
    ],
)
def test_forged_state_is_rejected(client, pending, state):
    state = state()
    response = client.get(RETURN, {"code": "c", "state": state})
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    pending.refresh_from_db()
    assert pending.outcome == ConsentRequest.Outcome.PENDING


def test_a_decline_is_recorded_and_said(client, pending):
    response = client.get(
        RETURN,
        {"error": "access_denied", "error_message": "No.", "state": consent.state_for(pending)},
    )
    assert "Consent was not given" in response.content.decode()
    pending.refresh_from_db()
    assert pending.outcome == ConsentRequest.Outcome.DECLINED


def test_the_email_has_text_and_html_and_explains_the_grant(
    docusign_hosts, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = consent.request_consent(
            connection=ConnectionFactory(), requested_by=superuser, email="dana@example.com"
        )
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["dana@example.com"]
    assert "root asks you" in message.body
    assert "impersonation" in message.body
    assert consent.link_for(request).split("&state=")[0] in message.body  # plain text: no &amp;
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    link = consent.link_for(request).split("&state=")[0]
    assert link.replace("&", "&amp;") in html
    request.refresh_from_db()
    assert request.sent_at is not None


def test_a_plain_consent_url_without_state_gets_a_neutral_thank_you(client, pending):
    response = client.get(RETURN, {"code": "c"})
    assert response.status_code == 200
    assert "If you chose <em>Allow access</em>" in response.content.decode()
    pending.refresh_from_db()
    assert pending.outcome == ConsentRequest.Outcome.PENDING


def test_admin_actions_email_or_show_the_link(
    client, superuser, docusign_hosts, django_capture_on_commit_callbacks
):
    connection = ConnectionFactory(user_email="dana@example.com")
    client.force_login(superuser)
    url = reverse("admin:connections_connection_changelist")
    response = client.post(
        url, {"action": "show_consent_link", "_selected_action": [connection.pk]}, follow=True
    )
    assert "/oauth/auth?response_type=code" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "email_consent_link", "_selected_action": [connection.pk]})
    assert mail.outbox[-1].to == ["dana@example.com"]
