"""Bad input and abuse: login throttling, validated query parameters, the simulator refused
outside development, encryption keys checked at start-up, separate Redis databases,
encryption at rest, and honest size messages."""

import pytest
from axes.models import AccessAttempt
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db
from django.urls import reverse

from envelopes.documents.uploads import check_uploads
from envelopes.models import Document, Envelope
from tests.factories import DocumentTemplateFactory, EnvelopeFactory, UserFactory
from tests.test_settings import SECRET, run_manage

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
GOOD = "correct horse battery staple"


def attempt(client, username, password, ip):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_an_account_is_locked_after_five_wrong_passwords_from_anywhere(client):
    UserFactory(username="carol")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "carol", "wrong", f"10.0.0.{n}").status_code == 200
    assert attempt(client, "carol", "wrong", "10.0.0.99").status_code == 429  # the limit
    locked = attempt(client, "carol", GOOD, "10.0.1.1")  # right password, new address
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "administrator" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert attempt(client, "dave", "wrong", "10.0.1.1").status_code == 200  # others unaffected


def test_an_address_is_locked_after_five_wrong_passwords_for_any_accounts(client):
    UserFactory(username="carol")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}", "wrong", "10.9.9.9")
    assert attempt(client, "carol", GOOD, "10.9.9.9").status_code == 429
    assert attempt(client, "carol", GOOD, "10.9.9.8").status_code == 302  # logged in


def test_an_administrator_unlocks_an_account_early(client):
    UserFactory(username="carol")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "carol", "wrong", f"10.0.0.{n}")
    assert attempt(client, "carol", GOOD, "10.0.2.1").status_code == 429
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "carol" in listing
    AccessAttempt.objects.filter(username="carol").delete()  # the admin's delete action
    client.logout()
    assert attempt(client, "carol", GOOD, "10.0.2.1").status_code == 302


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("envelopes:list", {"connection": "abc"}, "connection: Enter a whole number."),
        ("envelopes:list", {"status": "bogus"}, "status: Select a valid choice."),
        ("envelopes:list", {"since": "31/01/2026"}, "Dates must look like 2026-01-31."),
        ("envelopes:list", {"page": "-1"}, "page: Ensure this value is greater than"),
        ("envelopes:list", {"connection": "9" * 30}, "connection: Ensure this value is less"),
        ("envelopes:template-fields", {"connection": "abc"}, "connection: Enter a whole number."),
        ("envelopes:template-fields", {}, "connection: This field is required."),
        ("envelopes:document-fields", {"document_template": "x"}, "Enter a whole number."),
    ],
)
def test_a_bad_query_parameter_is_a_400_that_says_what_is_wrong(
    sender_client, url, params, message
):
    response = sender_client.get(reverse(url), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_simulator_is_refused_at_request_time_outside_development(client, settings):
    settings.SIMULATOR_ALLOWED = False
    response = client.get("/simulator/inbox/")
    assert response.status_code == 404
    assert "only in development" in response.content.decode()
    settings.SIMULATOR_ALLOWED = True
    assert client.get("/simulator/inbox/").status_code == 200


def test_production_settings_refuse_the_simulator_for_every_request():
    """Under production settings (as gunicorn loads them), not only management commands."""
    script = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/simulator/inbox/', HTTP_HOST='countersign.example.com', "
        "secure=True).status_code)"
    )
    result = run_manage(
        "shell",
        "-c",
        script,
        "--no-imports",
        DJANGO_DEBUG="false",
        DOCUSIGN_SIMULATOR="true",
        DJANGO_SECRET_KEY=SECRET,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="countersign.example.com",
    )
    # `shell` runs no system checks, like gunicorn: the guard alone refuses.
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "404"


@pytest.mark.parametrize("bad", ["not-a-key", Fernet.generate_key().decode()[:-4], "A" * 43])
def test_a_bad_encryption_key_stops_start_up_with_a_clear_message(bad):
    good = Fernet.generate_key().decode()
    result = run_manage(
        "check",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET,
        FIELD_ENCRYPTION_KEYS=f"{good},{bad}",
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key" in result.stderr
    assert bad not in result.stderr  # the value itself is never echoed


@pytest.mark.parametrize(
    ("redis_url", "cache", "broker"),
    [
        ("redis://cache.internal:6379/4", "/4", "/5"),
        ("redis://cache.internal:6379", "/0", "/1"),
        ("redis://:pw@cache.internal:6379/15", "/15", "/14"),
    ],
)
def test_the_cache_and_the_broker_use_separate_redis_databases(redis_url, cache, broker):
    from config.environment import redis_database

    host = redis_url.rsplit("/", 1)[0] if redis_url.count("/") > 2 else redis_url
    assert redis_database(redis_url, 0) == f"{host}{cache}"
    assert redis_database(redis_url, 1) == f"{host}{broker}"
    if settings.REDIS_URL:  # as configured for this run
        assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL


def test_template_data_and_uploads_are_encrypted_at_rest(tmp_path):
    envelope = EnvelopeFactory(
        subject="Offer",
        source="generated",
        document_template=DocumentTemplateFactory(name="T", body="x"),
        template_data={"salary": "93,000 EUR"},
    )
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT template_data FROM envelopes_envelope WHERE id = %s", [envelope.pk.hex]
        )
        raw = cursor.fetchone()[0]
    assert "93,000" not in raw
    assert Envelope.objects.get(pk=envelope.pk).template_data == {"salary": "93,000 EUR"}

    document = Document(
        envelope=envelope, name="a.txt", content_type="text/plain", size=6, sha256="0" * 64
    )
    document.file.save("a.txt", SimpleUploadedFile("a.txt", b"secret"), save=False)
    document.save()
    on_disk = (settings.MEDIA_ROOT / document.file.name).read_bytes()
    assert b"secret" not in on_disk
    assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(on_disk) == b"secret"
    with document.file.open("rb") as handle:
        assert handle.read() == b"secret"


def test_the_size_limit_is_given_in_mib(settings):
    settings.ENVELOPES_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024))
    with pytest.raises(ValidationError, match=r"big.pdf is 21 MiB; the limit is 20 MiB\."):
        check_uploads([big])
