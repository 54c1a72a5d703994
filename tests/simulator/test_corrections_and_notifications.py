"""The simulator's resend, recipient corrections, correct view and notification endpoints:
as strict as DocuSign's documented behaviour; envelopes expire on its movable clock."""

import pytest

from simulator import control
from simulator.esign.notifications import EXPIRED_REASON
from simulator.models import SimEnvelope, SimRecipient
from tests.simulator.test_esign import create

pytestmark = pytest.mark.django_db


def _error(response):
    return response.status_code, response.json()["errorCode"], response.json()["message"]


def test_resend_needs_a_body_and_an_envelope_out_for_signature(api, client, world, token):
    envelope_id = create(api)
    url = (
        f"/simulator/restapi/v2.1/accounts/{world.account.account_id}/envelopes/{envelope_id}"
        "?resend_envelope=true"
    )
    no_body = client.generic("PUT", url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _error(no_body) == (
        400,
        "INVALID_REQUEST_BODY",
        "The request body is missing or improperly formatted.",
    )
    remote = SimRecipient.objects.get(recipient_id="1")  # routing order 1, embedded
    before = remote.notifications_sent
    assert api("PUT", f"/envelopes/{envelope_id}?resend_envelope=true", {}).status_code == 200
    remote.refresh_from_db()
    assert remote.notifications_sent == before  # embedded signers get no email
    draft = create(api, status="created")
    refused = api("PUT", f"/envelopes/{draft}?resend_envelope=true", {})
    assert _error(refused)[:2] == (400, "ENVELOPE_INVALID_STATUS")


def test_a_finished_recipient_is_refused_in_the_result_and_others_are_corrected(api):
    envelope_id = create(api)
    SimRecipient.objects.filter(recipient_id="1").update(status="completed")
    response = api(
        "PUT",
        f"/envelopes/{envelope_id}/recipients?resend_envelope=true",
        {
            "signers": [
                {"recipientId": "1", "name": "New One"},
                {"recipientId": "2", "email": "two@example.com"},
            ]
        },
    )
    assert response.status_code == 200
    first, second = response.json()["recipientUpdateResults"]
    assert first["errorDetails"]["errorCode"] == "RECIPIENT_UPDATE_FAILED"
    assert second["errorDetails"] is None
    assert SimRecipient.objects.get(recipient_id="1").name == "Signer 1"
    assert SimRecipient.objects.get(recipient_id="2").email == "two@example.com"


def test_clientuserid_cannot_be_changed_by_a_correction(api):
    envelope_id = create(api)
    response = api(
        "PUT",
        f"/envelopes/{envelope_id}/recipients",
        {"signers": [{"recipientId": "1", "clientUserId": "someone-else"}]},
    )
    assert response.json()["recipientUpdateResults"][0]["errorDetails"]["errorCode"] == (
        "RECIPIENT_UPDATE_FAILED"
    )


def test_corrections_of_a_finished_envelope_are_refused(api):
    envelope_id = create(api)
    SimEnvelope.objects.filter(envelope_id=envelope_id).update(status="completed")
    response = api(
        "PUT", f"/envelopes/{envelope_id}/recipients", {"signers": [{"recipientId": "2"}]}
    )
    assert _error(response)[:2] == (400, "ENVELOPE_INVALID_STATUS")


def test_the_correct_view_is_for_envelopes_out_for_signature_only(api):
    draft = create(api, status="created")
    refused = api("POST", f"/envelopes/{draft}/views/correct", {"returnUrl": "https://x/"})
    assert _error(refused) == (
        400,
        "ENVELOPE_INVALID_STATUS",
        "Invalid envelope status. Correct view cannot be created for an envelope in a "
        "Created state.",
    )
    sent = create(api)
    assert _error(api("POST", f"/envelopes/{sent}/views/correct", {}))[:2] == (
        400,
        "INVALID_REQUEST_BODY",
    )
    bad_field = api("POST", f"/envelopes/{sent}/views/correct", {"returnUrl": 1})
    assert "is not of type 'string'" in _error(bad_field)[2]  # the spec's schema, strictly
    opened = api("POST", f"/envelopes/{sent}/views/correct", {"returnUrl": "https://x/"})
    assert opened.status_code == 201
    assert "/simulator/correct/" in opened.json()["url"]


def test_notification_defaults_to_docusigns_system_default_without_one(api):
    envelope_id = create(api)
    assert api("GET", f"/envelopes/{envelope_id}/notification").json() == {
        "useAccountDefaults": "false",
        "reminders": {"reminderEnabled": "false", "reminderDelay": "0", "reminderFrequency": "0"},
        "expirations": {"expireEnabled": "true", "expireAfter": "120", "expireWarn": "0"},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"expirations": {"expireEnabled": "true", "expireAfter": "1000"}}, "from 1 to 999"),
        ({"expirations": {"expireEnabled": "true", "expireAfter": "ten"}}, "whole number"),
        (
            {"expirations": {"expireEnabled": "true", "expireAfter": "5", "expireWarn": "5"}},
            "fewer days than expireAfter",
        ),
        ({"reminders": {"reminderEnabled": "yes"}}, "'true' or 'false'"),
        ({"reminders": {"reminderDelay": 2}}, "is not of type 'string'"),
        ({"reminders": {"bogus": "1"}}, "Additional properties are not allowed"),
    ],
)
def test_bad_notification_values_are_refused_and_nothing_changes(api, body, message):
    envelope_id = create(api)
    before = SimEnvelope.objects.get(envelope_id=envelope_id).notification
    status, code, text = _error(api("PUT", f"/envelopes/{envelope_id}/notification", body))
    assert (status, code) == (400, "INVALID_REQUEST_BODY")
    assert message in text
    assert SimEnvelope.objects.get(envelope_id=envelope_id).notification == before


def test_an_envelope_expires_when_its_expiry_passes_on_the_simulators_clock(api):
    envelope_id = create(api)
    body = {"expirations": {"expireEnabled": "true", "expireAfter": "2", "expireWarn": "1"}}
    assert api("PUT", f"/envelopes/{envelope_id}/notification", body).status_code == 200
    got = api("GET", f"/envelopes/{envelope_id}").json()
    assert got["status"] == "sent"
    assert got["expireDateTime"]
    control.advance_clock(days=2, seconds=1)
    got = api("GET", f"/envelopes/{envelope_id}").json()
    assert (got["status"], got["voidedReason"]) == ("voided", EXPIRED_REASON)
    refused = api("PUT", f"/envelopes/{envelope_id}/notification", body)
    assert _error(refused)[:2] == (400, "ENVELOPE_INVALID_STATUS")
