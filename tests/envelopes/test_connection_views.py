"""The connection page: Connect URL and settings, write-only HMAC keys, API budget."""

import pytest
from django.urls import reverse

from connections.models import ApiCall
from tests.factories import ConnectionFactory

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
    assert "2 of 3000 calls" in html
    assert "2998 remain" in html
    assert "a-very-secret-hmac-key-0001" not in html


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
