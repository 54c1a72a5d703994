"""The setup wizard, walked against the simulator: app, keys, user, consent by email,
account choice, check — to a connected connection."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from connections.models import Connection, ConsentRequest
from simulator.models import SimAccount, SimApp, SimMembership, SimPublicKey
from simulator.oauth.services import create_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup_staff(client):
    user = UserFactory(username="olivia", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="connections"))
    client.force_login(user)
    return client


@pytest.fixture
def docusign_side(live_server, settings):
    """What the staff member made on the (simulated) Apps and Keys page."""
    settings.SITE_URL = live_server.url
    settings.DOCUSIGN_DEMO_AUTH_SERVER = f"{live_server.url}/simulator"
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [".docusign.net", "localhost", "127.0.0.1"]
    settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK = True
    app = SimApp.objects.create(
        name="Countersign", redirect_uris=[f"{live_server.url}/connections/consent/return/"]
    )
    user = create_user(name="Dana Demo", email="dana@example.com", account_name="Main")
    return app, user


def walk_to_consent(client, app, user, upload=True):
    response = client.post(
        "/connections/setup/",
        {"name": "Acme", "environment": "demo", "integration_key": app.integration_key.upper()},
    )
    connection = Connection.objects.get(name="Acme")
    assert response["Location"] == f"/connections/setup/{connection.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "the RSA keypair" in page
    generated = client.post(response["Location"], {"generate": "on"})
    assert generated["Location"] == f"/connections/setup/{connection.pk}/public-key/"
    page = client.get(generated["Location"]).content.decode()
    public_pem = page.split('<pre id="public-key">')[1].split("</pre>")[0]
    assert "PRIVATE" not in page
    if upload:
        SimPublicKey.objects.create(app=app, public_pem=public_pem)  # "upload" it at DocuSign
    bad = client.post(response["Location"], {"user_id": "dana@example.com"}).content.decode()
    assert "is not a GUID" in bad
    client.post(response["Location"], {"user_id": user.user_id, "user_email": user.email})
    connection.refresh_from_db()
    assert connection.setup_step == "consent"
    return connection


def consent_by_email(client, connection):
    client.post(f"/connections/setup/{connection.pk}/", {"action": "email"})
    [message] = mail.outbox
    link = next(w for w in message.body.split() if "/oauth/auth?" in w)
    path = link.split("://", 1)[1].split("/", 1)[1]
    consent_page = f"/{path}"
    client.post(consent_page, {"action": "login", "email": "dana@example.com"})
    allowed = client.post(consent_page, {"action": "allow"})
    assert allowed.status_code == 302, (consent_page, allowed.status_code, allowed.content[:500])
    back = allowed["Location"]
    assert back.startswith(
        f"{connection.auth_server.removesuffix('/simulator')}/connections/consent/return/?code="
    )
    parts = urlsplit(back)
    page = client.get(f"{parts.path}?{parts.query}")
    assert "DocuSign confirms" in page.content.decode()  # no broker: the check already ran


def test_the_wizard_ends_in_a_connected_connection(setup_staff, docusign_side):
    app, user = docusign_side
    connection = walk_to_consent(setup_staff, app, user)
    consent_by_email(setup_staff, connection)
    connection.refresh_from_db()
    assert ConsentRequest.objects.get().outcome == "granted"
    assert connection.status == Connection.Status.CONNECTED  # the check ran after consent
    assert connection.account_id == SimAccount.objects.get().account_id
    assert connection.base_uri.endswith("/simulator")
    assert "Connected" in setup_staff.get(f"/connections/setup/{connection.pk}/").content.decode()


def test_a_user_with_several_accounts_chooses_one(setup_staff, docusign_side):
    app, user = docusign_side
    second = SimAccount.objects.create(name="Second")
    SimMembership.objects.create(user=user, account=second)
    connection = walk_to_consent(setup_staff, app, user)
    consent_by_email(setup_staff, connection)
    connection.refresh_from_db()
    assert connection.last_error_code == "account_choice_needed"
    page = setup_staff.get(f"/connections/setup/{connection.pk}/").content.decode()
    assert "Choose the account" in page
    assert "Second" in page
    setup_staff.post(
        f"/connections/setup/{connection.pk}/",
        {"action": "account", "account_id": second.account_id},
    )
    connection.refresh_from_db()
    assert connection.account_id == second.account_id
    assert connection.status == Connection.Status.CONNECTED


def test_only_staff_who_may_add_connections(client, staff_without_perms):
    client.force_login(staff_without_perms)
    assert client.get("/connections/setup/").status_code == 403


def test_promoting_reuses_the_key_and_asks_the_production_user_to_consent(
    setup_staff, docusign_side, settings
):
    from tests.factories import ConnectionFactory

    settings.DOCUSIGN_PRODUCTION_AUTH_SERVER = "https://account.docusign.com"
    demo = ConnectionFactory(name="Acme", status=Connection.Status.CONNECTED)
    response = setup_staff.post(
        f"/connections/setup/{demo.pk}/promote/",
        {
            "name": "Acme (production)",
            "user_id": "11111111-2222-3333-4444-555555555555",
            "user_email": "ops@acme.example",
        },
    )
    production = Connection.objects.get(name="Acme (production)")
    assert response["Location"] == f"/connections/setup/{production.pk}/"
    assert production.environment == "production"
    assert production.integration_key == demo.integration_key
    assert production.key_fingerprint == demo.key_fingerprint
    assert production.private_key == demo.private_key
    assert (production.account_id, production.base_uri) == ("", "")
    setup_staff.post(f"/connections/setup/{production.pk}/", {"action": "email"})
    assert "account.docusign.com/oauth/auth" in mail.outbox[-1].body
    demo.refresh_from_db()
    assert demo.status == Connection.Status.CONNECTED  # the demo one stays


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Acme", "environment": "demo", "integration_key": "my app"}, "is not a GUID"),
        (
            {
                "name": "",
                "environment": "demo",
                "integration_key": "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718",
            },
            "This field is required",
        ),
        (
            {
                "name": "Taken",
                "environment": "demo",
                "integration_key": "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718",
            },
            "already exists",
        ),
        (
            {
                "name": "Acme",
                "environment": "moon",
                "integration_key": "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718",
            },
            "valid choice",
        ),
    ],
)
def test_the_first_step_explains_bad_input(setup_staff, data, message):
    from tests.factories import ConnectionFactory

    ConnectionFactory(name="Taken")
    page = setup_staff.post("/connections/setup/", data).content.decode()
    assert message in page
    assert not Connection.objects.filter(name="Acme").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Generate a keypair here, or paste"),
        (
            {"private_key": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"},
            "This is a public key",
        ),
        ({"private_key": "hello"}, "not a PEM private key"),
    ],
)
def test_the_keys_step_explains_bad_input(setup_staff, data, message):
    connection = Connection.objects.create(
        name="Acme", integration_key="1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
    )
    page = setup_staff.post(f"/connections/setup/{connection.pk}/", data).content.decode()
    assert message in page
    connection.refresh_from_db()
    assert not connection.has_key


def test_consent_waits_until_docusign_has_the_public_key(setup_staff, docusign_side):
    """The user step makes a first JWT attempt: `no_valid_keys_or_signatures` means the
    public key is not uploaded yet, and the consent step says so before anyone consents."""
    app, user = docusign_side
    connection = walk_to_consent(setup_staff, app, user, upload=False)
    connection.refresh_from_db()
    assert connection.last_error_code.endswith("no_valid_keys_or_signatures")
    page = setup_staff.get(f"/connections/setup/{connection.pk}/").content.decode()
    assert "DocuSign does not have this app's public key yet" in page
    assert f"/connections/setup/{connection.pk}/public-key/" in page

    public_pem = setup_staff.get(f"/connections/setup/{connection.pk}/public-key/").content
    public_pem = public_pem.decode().split('<pre id="public-key">')[1].split("</pre>")[0]
    SimPublicKey.objects.create(app=app, public_pem=public_pem)
    setup_staff.post(f"/connections/setup/{connection.pk}/", {"action": "check"})
    connection.refresh_from_db()
    assert connection.last_error_code.endswith("consent_required")  # the key is there now
    page = setup_staff.get(f"/connections/setup/{connection.pk}/").content.decode()
    assert "public key yet" not in page


def test_the_public_key_can_be_shown_again_and_the_page_reloads(setup_staff, docusign_side):
    app, user = docusign_side
    connection = walk_to_consent(setup_staff, app, user)
    url = f"/connections/setup/{connection.pk}/public-key/"
    first, again = (setup_staff.get(url).content.decode() for _ in range(2))
    key = first.split('<pre id="public-key">')[1].split("</pre>")[0]
    assert key in again  # a reload shows the key again, not the next step's errors
    assert "BEGIN PUBLIC KEY" in first
    assert "This field is required" not in first
    promote = setup_staff.get(f"/connections/setup/{connection.pk}/promote/").content.decode()
    assert key in promote


def test_a_bad_pasted_key_gets_one_error_not_two(setup_staff, docusign_side):
    from tests.keys import public_pem

    app, _ = docusign_side
    setup_staff.post(
        "/connections/setup/",
        {"name": "Acme", "environment": "demo", "integration_key": app.integration_key},
    )
    connection = Connection.objects.get(name="Acme")
    page = setup_staff.post(
        f"/connections/setup/{connection.pk}/", {"private_key": public_pem()}
    ).content.decode()
    assert "This is a public key" in page
    assert "Generate a keypair here, or paste" not in page
    empty = setup_staff.post(f"/connections/setup/{connection.pk}/", {}).content.decode()
    assert empty.count("Generate a keypair here, or paste") == 1


@pytest.mark.parametrize(
    ("simulator", "demo_link", "user_id_place"),
    [
        (True, "/simulator/apps/", "Users"),
        (False, "https://admindemo.docusign.com", "My Account Information"),
    ],
)
def test_links_and_wording_follow_where_the_demo_environment_is(
    setup_staff, settings, live_server, simulator, demo_link, user_id_place
):
    settings.SITE_URL = live_server.url
    settings.DOCUSIGN_SIMULATOR = simulator
    settings.DOCUSIGN_DEMO_AUTH_SERVER = (
        f"{live_server.url}/simulator" if simulator else "https://account-d.docusign.com"
    )
    page = setup_staff.get("/connections/setup/").content.decode()
    assert demo_link in page
    assert ("admindemo.docusign.com" in page) is not simulator
    assert "Authorization Code Grant" in page
    assert "<title>Step 1 of 5" in page
    setup_staff.post(
        "/connections/setup/",
        {
            "name": "Acme",
            "environment": "demo",
            "integration_key": "0b1d8b8a-4c8e-4d3a-9a55-0e2f1c3b5d7e",
        },
    )
    connection = Connection.objects.get(name="Acme")
    connection.private_key, connection.key_fingerprint = (
        __import__("tests.factories", fromlist=["x"]).ConnectionFactory.build().private_key,
        "fp",
    )
    connection.save()
    page = setup_staff.get(f"/connections/setup/{connection.pk}/").content.decode()
    assert f"under <em>{user_id_place}</em>" in page
    assert "<title>Step 3 of 5" in page
