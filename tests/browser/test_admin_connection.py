"""A staff member adds a connection in the admin, in a real browser."""

import pytest

from connections.models import Connection
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_adds_a_connection_with_a_generated_keypair(live_server, page):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/connections/connection/add/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")

    page.fill("#id_name", "Acme demo")
    page.fill("#id_integration_key", "{1F2E3D4C-5B6A-7980-A1B2-C3D4E5F60718}")
    page.fill("#id_user_id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    page.check("#id_generate_keypair")
    page.click("input[name=_save]")

    message = page.locator(".messagelist").inner_text()
    assert "-----BEGIN PUBLIC KEY-----" in message
    conn = Connection.objects.get(name="Acme demo")
    assert conn.integration_key == "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
    assert conn.key_fingerprint in message
    assert "PRIVATE KEY" not in page.content()
