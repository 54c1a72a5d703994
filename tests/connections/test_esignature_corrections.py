"""The client calls for resend, corrections, reminders/expiry and the correct view, with
`responses`: the exact paths, queries and bodies DocuSign expects (strings everywhere)."""

import json

import pytest
import responses
from responses import matchers

from connections.docusign import errors, esignature
from tests.connections.test_client import BASE, make_client

ENVELOPE_ID = "0000000a-0000-0000-0000-000000000000"
URL = f"{BASE}/envelopes/{ENVELOPE_ID}"


@responses.activate
def test_resend_puts_the_envelope_with_resend_envelope_and_a_json_body():
    responses.put(
        URL,
        match=[
            matchers.query_param_matcher({"resend_envelope": "true"}),
            matchers.json_params_matcher({}),
        ],
        json={"envelopeId": ENVELOPE_ID},
    )
    client, *_ = make_client()
    assert esignature.resend_envelope(client, ENVELOPE_ID) == {"envelopeId": ENVELOPE_ID}


@responses.activate
def test_update_recipients_returns_per_recipient_results_including_refusals():
    refused = {
        "recipientId": "1",
        "errorDetails": {"errorCode": "RECIPIENT_UPDATE_FAILED", "message": "No."},
    }
    responses.put(
        f"{URL}/recipients",
        match=[
            matchers.query_param_matcher({"resend_envelope": "true"}),
            matchers.json_params_matcher(
                {"signers": [{"recipientId": "1", "name": "R", "email": "r@example.com"}]}
            ),
        ],
        json={"recipientUpdateResults": [refused]},
    )
    client, *_ = make_client()
    results = esignature.update_recipients(
        client,
        ENVELOPE_ID,
        {"signers": [{"recipientId": "1", "name": "R", "email": "r@example.com"}]},
        resend=True,
    )
    assert results == [refused]


@responses.activate
def test_notification_is_read_and_written_with_string_values():
    stored = {
        "useAccountDefaults": "false",
        "reminders": {"reminderEnabled": "true", "reminderDelay": "2", "reminderFrequency": "3"},
        "expirations": {"expireEnabled": "true", "expireAfter": "30", "expireWarn": "5"},
    }
    responses.put(f"{URL}/notification", match=[matchers.json_params_matcher(stored)], json=stored)
    responses.get(f"{URL}/notification", json=stored)
    client, *_ = make_client()
    sent = {
        "useAccountDefaults": False,
        "reminders": {"reminderEnabled": True, "reminderDelay": 2, "reminderFrequency": 3},
        "expirations": {"expireEnabled": True, "expireAfter": 30, "expireWarn": 5},
    }
    assert esignature.update_notification(client, ENVELOPE_ID, sent) == stored
    assert esignature.get_notification(client, ENVELOPE_ID) == stored


@responses.activate
def test_the_correct_view_returns_docusigns_url_and_refusals_raise_with_the_code():
    responses.post(
        f"{URL}/views/correct",
        match=[matchers.json_params_matcher({"returnUrl": "https://app.example/back"})],
        json={"url": "https://demo.docusign.net/correct/abc"},
        status=201,
    )
    client, *_ = make_client()
    url = esignature.correct_view(client, ENVELOPE_ID, return_url="https://app.example/back")
    assert url == "https://demo.docusign.net/correct/abc"
    responses.post(
        f"{URL}/views/correct",
        json={"errorCode": "ENVELOPE_INVALID_STATUS", "message": "Created state."},
        status=400,
    )
    with pytest.raises(errors.DocuSignError) as refused:
        esignature.correct_view(client, ENVELOPE_ID, return_url="https://app.example/back")
    assert refused.value.error_code == "ENVELOPE_INVALID_STATUS"
    assert not refused.value.retryable
    assert json.loads(responses.calls[0].request.body or "") == {
        "returnUrl": "https://app.example/back"
    }
