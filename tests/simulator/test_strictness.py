"""The simulator refuses, at run time, what DocuSign's spec does not allow, with DocuSign's
error body; operations it does not simulate get a JSON error naming them."""

import json
import time

import pytest

from simulator.models import SimEnvelope
from tests.simulator.conftest import make_assertion
from tests.simulator.test_esign import create, definition, signer

pytestmark = pytest.mark.django_db


def _error(response):
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()["errorCode"], response.json()["message"]


def test_an_unknown_property_deep_in_the_body_is_refused_and_nothing_is_created(api):
    body = definition(recipients={"signers": [signer(1, bogusField="x")]})
    status, code, message = _error(api("POST", "/envelopes", body))
    assert (status, code) == (400, "INVALID_REQUEST_BODY")
    assert "recipients/signers/0: Additional properties are not allowed ('bogusField'" in message
    assert not SimEnvelope.objects.exists()


def test_a_number_where_docusign_types_a_string_is_refused(api):
    body = definition(recipients={"signers": [signer(1, routingOrder=1)]})
    status, code, message = _error(api("POST", "/envelopes", body))
    assert (status, code) == (400, "INVALID_REQUEST_BODY")
    assert "recipients/signers/0/routingOrder: 1 is not of type 'string'" in message


def test_the_message_names_the_first_errors_and_counts_the_rest(api):
    body = definition(a="1", b="2", c="3", d="4", e="5")
    _status, _code, message = _error(api("POST", "/envelopes", body))
    assert message.count("Additional properties") == 1  # one error for the root object
    many = definition(recipients={"signers": [signer(i, routingOrder=i) for i in range(1, 6)]})
    assert "(and 2 more)" in _error(api("POST", "/envelopes", many))[2]


def test_a_body_that_is_not_json_gets_415(client, world, token):
    url = f"/simulator/restapi/v2.1/accounts/{world.account.account_id}/envelopes"
    response = client.post(
        url,
        data=json.dumps(definition()),
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert _error(response)[:2] == (415, "INVALID_CONTENT_TYPE")
    assert not SimEnvelope.objects.exists()


def test_an_unknown_query_parameter_is_refused_and_named(api):
    response = api("GET", "/envelopes", from_date="2020-01-01", colour="blue")
    status, code, message = _error(response)
    assert (status, code) == (400, "INVALID_REQUEST_PARAMETER")
    assert "colour" in message
    assert "from_date" in message


def test_the_spec_s_own_parameters_pass(api):
    envelope_id = create(api)
    found = api("GET", "/envelopes", from_date="2020-01-01", include="recipients", count="5")
    assert found.status_code == 200
    assert api("GET", f"/envelopes/{envelope_id}", include="recipients").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("PUT", "/envelopes/status", "Envelopes_PutStatus"),
        ("GET", "/envelopes/e1/audit_events", "AuditEvents_GetAuditEvents"),
        ("DELETE", "", "Accounts_DeleteAccount"),
        ("POST", "/envelopes/e1/views/edit", "Views_PostEnvelopeEditView"),
    ],
)
def test_an_operation_docusign_has_but_the_simulator_does_not_is_named_in_json(
    api, method, path, operation
):
    status, code, message = _error(api(method, path))
    assert (status, code) == (501, "OPERATION_NOT_SIMULATED")
    assert operation in message


def test_a_path_docusign_does_not_have_is_a_json_404(client, world, token):
    url = f"/simulator/restapi/v2.1/accounts/{world.account.account_id}/envelopez"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _error(response)[:2] == (404, "RESOURCE_NOT_FOUND")
    response = client.get("/simulator/restapi/v9/nothing")
    assert _error(response)[:2] == (404, "RESOURCE_NOT_FOUND")


def test_a_method_the_path_does_not_have_is_405(api):
    assert _error(api("PATCH", "/envelopes"))[:2] == (405, "INVALID_REQUEST_METHOD")


def test_get_envelope_has_the_fields_docusign_returns(api, world):
    envelope_id = create(api)
    data = api("GET", f"/envelopes/{envelope_id}").json()
    uri = f"/envelopes/{envelope_id}"
    assert data["sender"] == {
        "userName": world.user.name,
        "userId": world.user.user_id,
        "accountId": world.account.account_id,
        "email": world.user.email,
    }
    assert data["certificateUri"] == f"{uri}/documents/certificate"
    assert data["documentsCombinedUri"] == f"{uri}/documents/combined"
    assert data["templatesUri"] == f"{uri}/templates"
    assert data["initialSentDateTime"] == data["sentDateTime"]
    assert data["purgeState"] == "unpurged"
    assert all(isinstance(v, str | dict) for v in data.values())  # scalars are strings


def test_a_draft_has_no_sent_dates(api):
    envelope_id = create(api, status="created")
    data = api("GET", f"/envelopes/{envelope_id}").json()
    assert "initialSentDateTime" not in data
    assert "sentDateTime" not in data


def test_list_status_changes_pages_with_next_and_previous_uris(api):
    ids = [create(api) for _ in range(3)]
    first = api("GET", "/envelopes", from_date="2020-01-01", count="2").json()
    assert (first["resultSetSize"], first["totalSetSize"]) == ("2", "3")
    assert (first["startPosition"], first["endPosition"]) == ("0", "1")
    assert "previousUri" not in first
    query = dict(p.split("=", 1) for p in first["nextUri"].split("?", 1)[1].split("&"))
    second = api("GET", "/envelopes", **query).json()
    assert (second["resultSetSize"], second["startPosition"], second["endPosition"]) == (
        "1",
        "2",
        "2",
    )
    assert "nextUri" not in second
    assert second["previousUri"].startswith("/envelopes?")
    found = [e["envelopeId"] for e in first["envelopes"] + second["envelopes"]]
    assert found == ids


def test_an_assertion_for_the_production_account_server_is_issuer_not_found(client, world):
    response = client.post(
        "/simulator/oauth/token",
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": make_assertion(world, aud="account.docusign.com"),
        },
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "issuer_not_found"},
    )


def test_an_assertion_living_longer_than_two_hours_is_refused(client, world):
    assertion = make_assertion(world, exp=int(time.time()) + 3 * 3600)
    response = client.post(
        "/simulator/oauth/token",
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert response.json()["error_description"] == "no_valid_keys_or_signatures"
