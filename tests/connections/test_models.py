import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connections.models import Connection
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_guids_are_normalised_for_case_braces_and_whitespace():
    conn = ConnectionFactory.build(
        integration_key=" {1F2E3D4C-5B6A-7980-A1B2-C3D4E5F60718} ",
        user_id="1F2E3D4C5B6A7980A1B2C3D4E5F60718",
    )
    conn.full_clean()
    assert conn.integration_key == "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
    assert conn.user_id == "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"


def test_a_bad_guid_says_what_it_should_look_like_and_where_to_find_it():
    conn = ConnectionFactory.build(integration_key="my-app")
    with pytest.raises(ValidationError) as info:
        conn.full_clean()
    message = info.value.message_dict["integration_key"][0]
    assert "'my-app' is not a GUID" in message
    assert "Apps and Keys" in message


def test_account_id_may_stay_blank_until_discovered():
    conn = ConnectionFactory.build(account_id="", base_uri="")
    conn.full_clean()
    assert not conn.is_ready


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://demo.docusign.net/", "https://demo.docusign.net"),
        ("https://na3.docusign.net/restapi", "https://na3.docusign.net"),
        ("https://eu.docusign.net/restapi/v2.1/", "https://eu.docusign.net"),
        ("  https://DEMO.docusign.net  ", "https://demo.docusign.net"),
    ],
)
def test_base_uri_is_stored_without_trailing_slash_or_restapi(given, stored):
    conn = ConnectionFactory.build(base_uri=given)
    conn.full_clean()
    assert conn.base_uri == stored


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("http://demo.docusign.net", "must use https://"),
        ("https://evil.example.com", "is not a DocuSign API host"),
        ("https://docusign.net.evil.com", "is not a DocuSign API host"),
        ("demo.docusign.net", "full address"),
        ("https://user:pw@demo.docusign.net", "without user names"),
    ],
)
def test_bad_base_uris_are_refused_with_the_reason(given, fragment):
    conn = ConnectionFactory.build(base_uri=given)
    with pytest.raises(ValidationError) as info:
        conn.full_clean()
    assert fragment in info.value.message_dict["base_uri"][0]


def test_http_is_accepted_for_loopback_only_in_development(settings):
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [".docusign.net", "127.0.0.1"]
    settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK = True
    conn = ConnectionFactory.build(base_uri="http://127.0.0.1:8000/simulator/")
    conn.full_clean()
    assert conn.base_uri == "http://127.0.0.1:8000/simulator"

    settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK = False
    conn = ConnectionFactory.build(base_uri="http://127.0.0.1:8000/simulator")
    with pytest.raises(ValidationError, match="https"):
        conn.full_clean()


def test_loopback_is_refused_when_the_simulator_is_not_mounted(settings):
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [".docusign.net", ".docusign.com"]
    settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK = True
    conn = ConnectionFactory.build(base_uri="http://localhost:8000")
    with pytest.raises(ValidationError, match="not a DocuSign API host"):
        conn.full_clean()


def test_only_one_default_connection_per_environment_in_the_database():
    ConnectionFactory(is_default=True)
    ConnectionFactory(is_default=True, environment=Connection.Environment.PRODUCTION)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectionFactory(is_default=True)


def test_full_clean_reports_the_second_default_as_a_fixable_error():
    ConnectionFactory(is_default=True)
    second = ConnectionFactory.build(is_default=True)
    with pytest.raises(ValidationError, match="already the default"):
        second.full_clean()


def test_auth_server_follows_the_environment(settings):
    settings.DOCUSIGN_DEMO_AUTH_SERVER = "https://account-d.docusign.com"
    settings.DOCUSIGN_PRODUCTION_AUTH_SERVER = "https://account.docusign.com"
    assert ConnectionFactory.build().auth_server == "https://account-d.docusign.com"
    prod = ConnectionFactory.build(environment=Connection.Environment.PRODUCTION)
    assert prod.auth_server == "https://account.docusign.com"
