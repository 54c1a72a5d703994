"""The connection page: Connect URL and settings, write-only HMAC keys, API budget."""

import time

import pytest
from django.urls import reverse

from connections.models import ApiCall
from tests.factories import ConnectionFactory, EnvelopeFactory

pytestmark = pytest.mark.django_db


def test_shows_the_connect_url_and_budget_and_hides_keys(staff_client):
    connection = ConnectionFactory(connect_hmac_secrets="a-very-secret-hmac-key-0001")
    for remaining in (2999, 2998):
        ApiCall.objects.create(
            connection=connection,
            account_id=connection.account_id,
            method="GET",
            path="/envelopes",
            status_code=200,
            rate_limit_remaining=remaining,
        )
    html = staff_client.get(reverse("envelopes:connection", args=[connection.pk])).content.decode()
    assert f"/envelopes/connect/{connection.connect_token}/" in html
    assert "2 of 3000; DocuSign last said 2998 remain" in html  # history, from ApiCall
    assert "a-very-secret-hmac-key-0001" not in html


def test_the_budget_left_is_the_shared_budget_every_worker_paces_by(staff_client, settings):
    from connections.budget import SharedBudget

    settings.DOCUSIGN_HOURLY_LIMIT = 100
    settings.DOCUSIGN_BURST_LIMIT = 20
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.0
    connection = ConnectionFactory()
    budget = SharedBudget(connection.account_id)
    for _ in range(5):  # calls taken by workers: no ApiCall rows here
        budget.acquire()
    url = reverse("envelopes:connection", args=[connection.pk])
    html = staff_client.get(url).content.decode()
    assert "95 of 100, back in full at" in html
    assert "15 of 20 left" in html

    budget.block(time.time() + 600)  # DocuSign refused a call: every process waits
    html = staff_client.get(url).content.decode()
    assert "every process waits until" in html


def test_saving_keys_stores_them_encrypted_and_validates(staff_client):
    connection = ConnectionFactory()
    url = reverse("envelopes:connection", args=[connection.pk])
    assert "too short" in staff_client.post(url, {"hmac_secrets": "short"}).content.decode()
    staff_client.post(url, {"hmac_secrets": "first-key-0123456789\nsecond-key-0123456789"})
    connection.refresh_from_db()
    assert connection.hmac_secrets() == ["first-key-0123456789", "second-key-0123456789"]


def test_only_staff_with_permission(client, staff_without_perms):
    connection = ConnectionFactory()
    client.force_login(staff_without_perms)
    assert client.get(reverse("envelopes:connection", args=[connection.pk])).status_code == 403


def test_shows_calls_per_completed_envelope_and_what_spent_them(staff_client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import UserFactory

    connection = ConnectionFactory(connect_hmac_secrets="a-very-secret-hmac-key-0001")
    sender = UserFactory()
    now = timezone.now()
    for n in range(4):  # 4 completed today, 2 more three days ago
        EnvelopeFactory(
            connection=connection,
            sender=sender,
            subject=f"E{n}",
            status="completed",
            completed_at=now - timedelta(hours=n),
        )
    for n in range(2):
        EnvelopeFactory(
            connection=connection,
            sender=sender,
            subject=f"Old{n}",
            status="completed",
            completed_at=now - timedelta(days=3),
        )
    calls = (
        [("POST", "/envelopes")] * 6
        + [("GET", "/envelopes/{envelopeId}/documents/{documentId}")] * 2
        + [("POST", "/oauth/token")] * 5
    )  # token requests are not eSignature calls
    for method, path in calls:
        ApiCall.objects.create(connection=connection, method=method, path=path, status_code=200)
    ApiCall.objects.filter(path="/envelopes").update(created_at=now - timedelta(days=2))
    html = staff_client.get(reverse("envelopes:connection", args=[connection.pk])).content.decode()
    table = html[html.index('id="per-envelope"') :]
    # Last day: 2 downloads for 4 envelopes; last 7 days: 8 calls for 6 envelopes.
    assert "<td>last day</td><td>2</td><td>4</td>\n    <td>0.50</td>" in table
    assert "<td>last 7 days</td><td>8</td><td>6</td>\n    <td>1.33</td>" in table
    assert "create envelope (send): 6; document download: 2" in table
    assert "oauth" not in table


def test_the_connect_settings_say_to_include_documents_and_the_certificate(staff_client):
    connection = ConnectionFactory()
    html = staff_client.get(reverse("envelopes:connection", args=[connection.pk])).content.decode()
    settings_table = html[html.index('id="connect-settings"') :]
    assert "<strong>Documents</strong>" in settings_table
    assert "<strong>Certificate of Completion</strong>" in settings_table
    assert "includeDocuments" in settings_table  # the per-envelope eventNotification fields
    assert "No HMAC key saved" in html
    assert "checks an hour" in html
