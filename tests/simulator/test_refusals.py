"""The simulator refuses what DocuSign refuses (FACTS §5.2, §5.10, A2.3, A4.4, B6), and takes
request bodies up to DocuSign's limit rather than Django's form limit."""

import base64
import json

import pytest
import requests
import responses

from connections.docusign.error_bodies import error_from_response
from simulator.esign.wire import MAX_REQUEST_BYTES
from simulator.models import SimEnvelope
from tests.simulator.test_esign import create, definition, document, signer

pytestmark = pytest.mark.django_db


def _error(response):
    return response.status_code, response.json()["errorCode"], response.json()["message"]


def test_a_create_with_no_body_is_refused_not_read_as_empty(client, world, token):
    url = f"/simulator/restapi/v2.1/accounts/{world.account.account_id}/envelopes"
    response = client.post(url, data=b"", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    status, code, message = _error(response)
    assert (status, code) == (400, "INVALID_REQUEST_BODY")
    assert "request body is required" in message
    assert not SimEnvelope.objects.exists()


def test_an_unknown_envelope_is_400_envelope_does_not_exist(api):
    status, code, _ = _error(api("GET", "/envelopes/00000000-0000-0000-0000-000000000000"))
    assert (status, code) == (400, "ENVELOPE_DOES_NOT_EXIST")


@responses.activate
def test_the_product_reads_envelope_does_not_exist_as_final_not_retryable():
    body = {"errorCode": "ENVELOPE_DOES_NOT_EXIST", "message": "The envelope specified …"}
    responses.get("https://demo.docusign.net/x", json=body, status=400)
    error = error_from_response(requests.get("https://demo.docusign.net/x", timeout=5))
    assert error.error_code == "ENVELOPE_DOES_NOT_EXIST"
    assert error.retryable is False
    assert "no envelope with that ID" in error.with_advice


def test_an_unknown_authentication_method_is_refused(api):
    envelope_id = create(api)
    view = {
        "returnUrl": "https://app.example/back",
        "clientUserId": "user-1",
        "userName": "Signer 1",
        "email": "signer1@example.com",
    }
    path = f"/envelopes/{envelope_id}/views/recipient"
    status, code, message = _error(api("POST", path, {**view, "authenticationMethod": "Telepathy"}))
    assert (status, code) == (400, "INVALID_REQUEST_BODY")
    assert "'Telepathy' is not one of DocuSign's methods" in message
    assert api("POST", path, {**view, "authenticationMethod": "none"}).status_code == 201


def test_a_reminder_delay_of_zero_with_reminders_on_is_refused(api):
    reminders = {"reminderEnabled": "true", "reminderDelay": "0", "reminderFrequency": "2"}
    notification = {"useAccountDefaults": "false", "reminders": reminders}
    status, code, message = _error(api("POST", "/envelopes", definition(notification=notification)))
    assert (status, code) == (400, "INVALID_REQUEST_BODY")
    assert "reminderDelay must be 1 to 999" in message
    reminders["reminderDelay"] = "1"
    assert api("POST", "/envelopes", definition(notification=notification)).status_code == 201


def test_an_in_person_host_who_is_not_a_user_of_the_account_is_refused(api, world):
    user = world.account.users.first()
    in_person = {"recipientId": "1", "routingOrder": "1", "signerName": "Walk-in Wendy"}
    body = definition(recipients={"inPersonSigners": [
        {**in_person, "hostName": user.name, "hostEmail": "stranger@example.com"}]})  # fmt: skip
    status, code, message = _error(api("POST", "/envelopes", body))
    assert (status, code) == (400, "INVALID_RECIPIENT_HOST")
    assert "is not a DocuSign user of this account" in message
    wrong_case = definition(recipients={"inPersonSigners": [
        {**in_person, "hostName": user.name.upper(), "hostEmail": user.email}]})  # fmt: skip
    assert _error(api("POST", "/envelopes", wrong_case))[1] == "INVALID_RECIPIENT_HOST"
    right = definition(recipients={"inPersonSigners": [
        {**in_person, "hostName": user.name, "hostEmail": user.email}]})  # fmt: skip
    assert api("POST", "/envelopes", right).status_code == 201


def test_a_body_over_djangos_form_limit_but_under_docusigns_is_accepted(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, for the product
    big = document()
    big["documentBase64"] = base64.b64encode(b"<p>/sig1/ /name1/</p>" + b" " * 3_000_000).decode()
    body = definition(documents=[big], recipients={"signers": [signer(1)]})
    assert len(json.dumps(body)) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api("POST", "/envelopes", body)
    assert response.status_code == 201, response.content[:300]


def test_a_body_over_docusigns_request_limit_is_refused(client, world, token):
    url = f"/simulator/restapi/v2.1/accounts/{world.account.account_id}/envelopes"
    response = client.post(url, data=b"{}", content_type="application/json",
                           CONTENT_LENGTH=str(MAX_REQUEST_BYTES + 1),
                           HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert _error(response)[:2] == (413, "REQUEST_ENTITY_TOO_LARGE")


def test_the_products_own_routes_keep_djangos_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/accounts/login/", data="x=" + "a" * 5000,
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 400
