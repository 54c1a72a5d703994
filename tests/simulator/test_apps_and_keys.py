"""The simulated Apps and Keys page: staff only; keys shown once; bad input explained."""

import pytest
from django.urls import reverse

from simulator.models import SimApp, SimConsent, SimPublicKey, SimUser
from tests.keys import public_pem

pytestmark = pytest.mark.django_db
URL = "/simulator/apps/"


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def test_only_staff_may_open_it(client, app_user):
    assert client.get(URL).status_code == 302
    client.force_login(app_user)
    assert client.get(URL)["Location"].startswith(reverse("admin:login"))


def test_creating_an_app_user_and_redirect_uri(staff):
    staff.post(URL, {"action": "create_app", "name": "My app"})
    app = SimApp.objects.get(name="My app")
    staff.post(URL, {"action": "add_redirect_uri", "app": app.pk, "uri": "https://x.example/cb/"})
    staff.post(URL, {"action": "create_user", "name": "Ada", "email": "ada@example.com"})
    page = staff.get(URL).content.decode()
    assert app.integration_key in page
    assert "https://x.example/cb/" in page
    assert SimUser.objects.get(email="ada@example.com").user_id in page


def test_a_generated_private_key_is_shown_once_and_never_stored(staff):
    app = SimApp.objects.create(name="My app")
    response = staff.post(URL, {"action": "generate_keypair", "app": app.pk})
    html = response.content.decode()
    assert "BEGIN RSA PRIVATE KEY" in html
    assert "will not be shown again" in html
    key = SimPublicKey.objects.get(app=app)
    assert "PRIVATE" not in key.public_pem
    assert "PRIVATE KEY" not in staff.get(URL).content.decode()


def test_bad_input_is_explained(staff):
    app = SimApp.objects.create(name="My app")
    for data, message in [
        ({"action": "add_redirect_uri", "app": app.pk, "uri": "not a url"}, "Enter a valid URL"),
        (
            {"action": "upload_public_key", "app": app.pk, "public_key": "hello"},
            "not a PEM public key",
        ),
        ({"action": "create_user", "name": "X", "email": "nope"}, "valid email"),
        ({"action": "create_app", "name": ""}, "Give the app a name"),
    ]:
        page = staff.post(URL, data, follow=True).content.decode()
        assert message in page, message
    assert app.redirect_uris == []


def test_uploading_a_public_key_and_the_five_key_limit(staff):
    app = SimApp.objects.create(name="My app")
    staff.post(URL, {"action": "upload_public_key", "app": app.pk, "public_key": public_pem(0)})
    assert app.public_keys.count() == 1
    for _ in range(4):
        staff.post(URL, {"action": "generate_keypair", "app": app.pk})
    page = staff.post(URL, {"action": "generate_keypair", "app": app.pk}, follow=True)
    assert "at most 5 RSA keypairs" in page.content.decode()
    assert app.public_keys.count() == 5


def test_revoking_consent(staff, world):
    consent = SimConsent.objects.get()
    staff.post(URL, {"action": "revoke_consent", "consent": consent.pk})
    assert not SimConsent.objects.exists()
