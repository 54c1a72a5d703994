"""Key rotation: the new key is tried first; the old one keeps working until it passes."""

import pytest
import responses
from django.urls import reverse

from connections import key_rotation
from tests.connections.test_health import ACCOUNT, stub_account_call, stub_auth
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_starting_a_rotation_keeps_the_current_key(docusign_hosts):
    connection = ConnectionFactory(account_id=ACCOUNT)
    before = (connection.private_key, connection.key_fingerprint)
    public_pem = key_rotation.start_key_rotation(connection=connection)
    connection.refresh_from_db()
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert (connection.private_key, connection.key_fingerprint) == before
    assert connection.pending_key_fingerprint not in ("", before[1])


@responses.activate
def test_the_new_key_replaces_the_old_once_docusign_accepts_it(docusign_hosts):
    connection = ConnectionFactory(account_id=ACCOUNT)
    key_rotation.start_key_rotation(connection=connection)
    pending = connection.pending_key_fingerprint
    stub_auth()
    stub_account_call()
    assert key_rotation.finish_key_rotation(connection=connection).ok
    connection.refresh_from_db()
    assert connection.key_fingerprint == pending
    assert connection.pending_key_fingerprint == ""


@responses.activate
def test_a_new_key_docusign_rejects_leaves_the_old_one_working(docusign_hosts):
    connection = ConnectionFactory(account_id=ACCOUNT)
    before = connection.key_fingerprint
    key_rotation.start_key_rotation(connection=connection)
    stub_auth(
        token_status=400,
        token_body={"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"},
    )
    result = key_rotation.finish_key_rotation(connection=connection)
    assert result.error.error_code == "invalid_grant/no_valid_keys_or_signatures"
    connection.refresh_from_db()
    assert connection.key_fingerprint == before
    assert connection.pending_key_fingerprint


def test_the_admin_action_shows_the_public_key_not_the_private_one(staff_client):
    connection = ConnectionFactory()
    response = staff_client.post(
        reverse("admin:connections_connection_changelist"),
        {"action": "start_key_rotation", "_selected_action": [connection.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "BEGIN PUBLIC KEY" in html
    assert "PRIVATE KEY" not in html


@responses.activate
def test_a_refused_rotation_says_why_on_the_connections_page(
    docusign_hosts, staff_client, django_capture_on_commit_callbacks
):
    """Run before the new public key is uploaded, step 2 used to leave "Checking…" forever."""
    connection = ConnectionFactory(account_id=ACCOUNT)
    key_rotation.start_key_rotation(connection=connection)
    stub_auth(
        token_status=400,
        token_body={"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"},
    )
    with django_capture_on_commit_callbacks(execute=True):  # the worker
        staff_client.post(
            reverse("admin:connections_connection_changelist"),
            {"action": "finish_key_rotation", "_selected_action": [connection.pk]},
        )
    connection.refresh_from_db()
    assert "no_valid_keys_or_signatures" in connection.pending_key_error
    page = staff_client.get(
        reverse("admin:connections_connection_change", args=[connection.pk])
    ).content.decode()
    assert "pending key: last check" in page.lower()
    assert "no_valid_keys_or_signatures" in page
