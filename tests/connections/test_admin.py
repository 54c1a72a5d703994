"""The admin manages connections without ever sending a secret back to the browser."""

import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from tests.factories import ConnectionFactory
from tests.keys import private_pem, public_pem

pytestmark = pytest.mark.django_db


def _secret_fragments(conn: Connection) -> list[str]:
    """The PEM body, each of its base64 lines, and the stored ciphertext."""
    with db.cursor() as cursor:
        cursor.execute("SELECT private_key FROM connections_connection WHERE id = %s", [conn.pk])
        ciphertext = cursor.fetchone()[0]
    lines = conn.private_key.strip().splitlines()[1:-1]
    return ["".join(lines), *lines, ciphertext, ciphertext[:40]]


def _form_data(**overrides):
    data = {
        "name": "Acme demo",
        "environment": "demo",
        "integration_key": "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718",
        "user_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "user_email": "ops@example.com",
        "account_id": "",
        "base_uri": "",
        "new_private_key": "",
        # The reminder and expiry defaults, as the page posts them.
        "reminder_delay_days": "",
        "reminder_frequency_days": "0",
        "expire_after_days": "120",
        "expire_warn_days": "0",
    }
    data.update(overrides)
    return data


def test_change_page_shows_the_fingerprint_and_never_the_key(staff_client):
    conn = ConnectionFactory()
    page = staff_client.get(reverse("admin:connections_connection_change", args=[conn.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert conn.key_fingerprint in html
    assert "PRIVATE KEY" not in html
    for fragment in _secret_fragments(conn):
        assert fragment not in html


def test_list_page_shows_status_and_never_the_key(staff_client):
    conn = ConnectionFactory(
        status=Connection.Status.FAILING,
        last_error_code="consent_required",
        last_checked_at=timezone.now(),
    )
    html = staff_client.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert "Failing" in html
    assert "consent_required" in html
    for fragment in _secret_fragments(conn):
        assert fragment not in html


def test_leaving_the_key_blank_keeps_the_current_key(staff_client):
    conn = ConnectionFactory(name="Acme demo")
    before = (conn.private_key, conn.key_fingerprint)
    response = staff_client.post(
        reverse("admin:connections_connection_change", args=[conn.pk]),
        _form_data(user_email="new@example.com"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    conn.refresh_from_db()
    assert conn.user_email == "new@example.com"
    assert (conn.private_key, conn.key_fingerprint) == before


def test_pasting_a_key_stores_it_encrypted_and_shows_only_its_fingerprint(staff_client):
    response = staff_client.post(
        reverse("admin:connections_connection_add"),
        _form_data(new_private_key=private_pem(1, fmt="pkcs1")),
        follow=True,
    )
    conn = Connection.objects.get(name="Acme demo")
    assert conn.private_key.startswith("-----BEGIN PRIVATE KEY")  # canonical PKCS#8
    html = response.content.decode()
    for fragment in _secret_fragments(conn):
        assert fragment not in html


def test_a_pasted_key_is_not_echoed_when_another_field_is_wrong(staff_client):
    pem = private_pem(1)
    response = staff_client.post(
        reverse("admin:connections_connection_add"), _form_data(user_id="nope", new_private_key=pem)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not a GUID" in html
    assert "Acme demo" in html  # the rest of what was typed comes back
    for line in pem.strip().splitlines()[1:-1]:
        assert line not in html


def test_a_bad_key_gets_its_specific_message(staff_client):
    response = staff_client.post(
        reverse("admin:connections_connection_add"), _form_data(new_private_key=public_pem())
    )
    assert "This is a public key" in response.content.decode()
    assert not Connection.objects.exists()


def test_a_new_connection_needs_a_key(staff_client):
    response = staff_client.post(reverse("admin:connections_connection_add"), _form_data())
    assert "needs an RSA private key" in response.content.decode()


def test_generating_a_keypair_shows_the_public_key_once(staff_client):
    response = staff_client.post(
        reverse("admin:connections_connection_add"),
        _form_data(generate_keypair="on"),
        follow=True,
    )
    conn = Connection.objects.get(name="Acme demo")
    html = response.content.decode()
    assert "-----BEGIN PUBLIC KEY-----" in html
    assert conn.key_fingerprint in html
    for fragment in _secret_fragments(conn):
        assert fragment not in html
    again = staff_client.get(reverse("admin:connections_connection_change", args=[conn.pk]))
    assert "BEGIN PUBLIC KEY" not in again.content.decode()


def test_pasting_and_generating_at_once_is_refused(staff_client):
    response = staff_client.post(
        reverse("admin:connections_connection_add"),
        _form_data(generate_keypair="on", new_private_key=private_pem()),
    )
    assert "not both" in response.content.decode()


def test_staff_without_model_permissions_cannot_see_connections(client, staff_without_perms):
    conn = ConnectionFactory()
    client.force_login(staff_without_perms)
    assert client.get(reverse("admin:connections_connection_changelist")).status_code == 403
    change_url = reverse("admin:connections_connection_change", args=[conn.pk])
    assert client.get(change_url).status_code in (302, 403)
    assert "connections" not in client.get(reverse("admin:index")).content.decode().lower()


def test_app_users_are_sent_to_the_admin_login(client, app_user):
    client.force_login(app_user)
    response = client.get(reverse("admin:connections_connection_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_pasted_guid_with_braces_and_spaces_fits_the_form_and_is_normalised(staff_client):
    pasted = " {1F2E3D4C-5B6A-7980-A1B2-C3D4E5F60718} "
    form_html = staff_client.get(reverse("admin:connections_connection_add")).content.decode()
    assert 'maxlength="36"' not in form_html
    staff_client.post(
        reverse("admin:connections_connection_add"),
        _form_data(integration_key=pasted, generate_keypair="on"),
    )
    conn = Connection.objects.get(name="Acme demo")
    assert conn.integration_key == "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"


def test_a_draft_without_a_key_is_a_draft_not_failing_and_links_to_the_wizard(staff_client):
    draft = ConnectionFactory(
        name="Half done",
        private_key="",
        key_fingerprint="",
        user_id="",
        account_id="",
        status=Connection.Status.FAILING,  # e.g. an admin check ran on it
        last_error_code="key_not_loadable",
    )
    html = staff_client.get(reverse("admin:connections_connection_changelist")).content.decode()
    wizard = reverse("connections:setup", args=[draft.pk])
    assert f'<a href="{wizard}">Draft: continue setup</a>' in html
    assert ">Failing</span>" not in html  # (the status filter still offers "Failing")
    change = staff_client.get(reverse("admin:connections_connection_change", args=[draft.pk]))
    assert f'<a href="{wizard}">Continue in the setup wizard</a> (next step: keys)' in (
        change.content.decode()
    )


def test_the_list_has_few_short_columns(staff_client):
    """At 1280 px the list used to hide its last columns: the account GUID is on each
    connection's page, and the last check is one column."""
    ConnectionFactory(last_checked_at=timezone.now(), last_error_code="consent_required")
    html = staff_client.get(reverse("admin:connections_connection_changelist")).content.decode()
    headers = html.split("<thead>")[1].split("</thead>")[0]
    assert headers.count("<th") == 7  # the tick box, then six columns
    assert "ago: consent_required" in html


def test_reminder_and_expiry_defaults_are_edited_and_bad_ones_explained(staff_client):
    conn = ConnectionFactory(name="Acme demo")
    url = reverse("admin:connections_connection_change", args=[conn.pk])
    response = staff_client.post(
        url, _form_data(reminder_delay_days="30", expire_after_days="10", expire_warn_days="10")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "before the first reminder" in html
    assert "less than the expiry" in html
    conn.refresh_from_db()
    assert conn.expire_after_days == 120
    response = staff_client.post(
        url,
        _form_data(reminder_delay_days="3", reminder_frequency_days="2", expire_after_days="30"),
    )
    assert response.status_code == 302
    conn.refresh_from_db()
    assert (conn.reminder_delay_days, conn.reminder_frequency_days, conn.expire_after_days) == (
        3,
        2,
        30,
    )
