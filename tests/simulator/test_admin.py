"""The simulator's admin pages: faults can be injected there; Connect secrets stay hidden."""

import pytest

from simulator.models import SimConnectConfig, SimFault

pytestmark = pytest.mark.django_db


def test_staff_inject_a_fault_from_the_admin_and_it_fires(client, superuser, api):
    client.force_login(superuser)
    response = client.post(
        "/admin/simulator/simfault/add/",
        {"status": "503", "remaining": "1", "path_contains": "/templates", "delay_ms": "0"},
    )
    assert response.status_code == 302
    assert SimFault.objects.get().remaining == 1
    assert api("GET", "/templates").status_code == 503
    assert api("GET", "/templates").status_code == 200


def test_connect_secrets_are_write_only_in_the_admin(client, superuser, world):
    client.force_login(superuser)
    config = SimConnectConfig.objects.create(
        account=world.account, url="https://x.example/hook", hmac_secrets="very-secret-key"
    )
    page = client.get(f"/admin/simulator/simconnectconfig/{config.pk}/change/").content.decode()
    assert "very-secret-key" not in page
    client.post(
        f"/admin/simulator/simconnectconfig/{config.pk}/change/",
        {
            "account": world.account.pk,
            "name": "Renamed",
            "url": "https://x.example/hook",
            "events": "[]",
            "hmac_secrets": "",
            "enabled": "on",
        },
    )
    config.refresh_from_db()
    assert config.name == "Renamed"
    assert config.secrets() == ["very-secret-key"]
