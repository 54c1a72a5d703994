"""Consent links: signed and expiring state, the email, and the public return page."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.core import mail, signing
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


@responses.activate
def test_granted_consent_is_recorded_and_proved_by_a_check(
    client, pending, django_capture_on_commit_callbacks
):
    responses.post(f"{DEMO_AUTH}/oauth/token", json={"error": "consent_required"}, status=400)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            RETURN, {"code": "the-auth-code", "state": consent.state_for(pending)}
        )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    pending.refresh_from_db()
    assert pending.outcome == ConsentRequest.Outcome.GRANTED
    assert any("/oauth/token" in c.request.url for c in responses.calls)  # the check ran


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


def test_a_replayed_state_changes_nothing(client, pending):
    state = consent.state_for(pending)
    client.get(RETURN, {"error": "access_denied", "state": state})
    response = client.get(RETURN, {"code": "c", "state": state})
    assert response.status_code == 400
    assert "already used" in response.content.decode()
    pending.refresh_from_db()
    assert pending.outcome == ConsentRequest.Outcome.DECLINED


def test_an_expired_state_is_rejected(client, pending, settings, monkeypatch):
    state = consent.state_for(pending)
    monkeypatch.setattr(consent, "lifetime", lambda: timedelta(seconds=-1))
    response = client.get(RETURN, {"code": "c", "state": state})
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_a_new_link_supersedes_the_old_one(client, pending, superuser):
    old_state = consent.state_for(pending)
    consent.request_consent(connection=pending.connection, requested_by=superuser)
    assert client.get(RETURN, {"code": "c", "state": old_state}).status_code == 400


def test_the_email_has_text_and_html_and_explains_the_grant(
    docusign_hosts, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = consent.request_consent(
            connection=ConnectionFactory(), requested_by=superuser, email="dana@example.com"
        )
    [message] = mail.outbox
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
    assert "If you chose Accept" in response.content.decode()
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
