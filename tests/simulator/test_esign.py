"""The simulated eSignature REST API: each endpoint with good and bad input."""

import base64
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from simulator.esign.api import inject_fault
from simulator.models import SimEnvelope

pytestmark = pytest.mark.django_db

HTML = "<h1>Services agreement</h1><p>Sign here: /sig1/ on /date1/. Name: /name1/</p>"


def document(text=HTML, ext="html", doc_id="1"):
    return {
        "documentBase64": base64.b64encode(text.encode()).decode(),
        "name": "Agreement",
        "fileExtension": ext,
        "documentId": doc_id,
    }


def signer(n, routing=1, embedded=False, **extra):
    data = {
        "email": f"signer{n}@example.com",
        "name": f"Signer {n}",
        "recipientId": str(n),
        "routingOrder": str(routing),
        "tabs": {
            "signHereTabs": [{"anchorString": "/sig1/", "tabLabel": "sig"}],
            "textTabs": [{"anchorString": "/name1/", "tabLabel": "printed_name", "value": ""}],
        },
    }
    if embedded:
        data["clientUserId"] = f"user-{n}"
    data.update(extra)
    return data


def definition(status="sent", **extra):
    body = {
        "emailSubject": "Please sign",
        "status": status,
        "documents": [document()],
        "recipients": {
            "signers": [signer(1, 1, embedded=True), signer(2, 2)],
            "carbonCopies": [
                {"email": "cc@example.com", "name": "CC", "recipientId": "3", "routingOrder": "3"}
            ],
        },
        "customFields": {"textCustomFields": [{"name": "countersign_id", "value": "abc-123"}]},
    }
    body.update(extra)
    return body


def create(api, **kwargs):
    response = api("POST", "/envelopes", definition(**kwargs))
    assert response.status_code == 201, response.content
    return response.json()["envelopeId"]


def test_get_account(api, world):
    response = api("GET", "")
    assert response.json()["accountIdGuid"] == world.account.account_id
    assert response["X-RateLimit-Limit"] == "3000"


def test_create_and_send_answers_201_with_an_envelope_summary(api):
    response = api("POST", "/envelopes", definition())
    body = response.json()
    assert response.status_code == 201
    assert body["status"] == "sent"
    assert body["uri"] == f"/envelopes/{body['envelopeId']}"
    assert body["statusDateTime"].endswith("0Z")


def test_the_first_routing_order_is_sent_the_rest_wait(api):
    envelope_id = create(api)
    recipients = api("GET", f"/envelopes/{envelope_id}/recipients").json()
    statuses = {
        r["recipientId"]: r["status"] for k in ("signers", "carbonCopies") for r in recipients[k]
    }
    assert statuses == {"1": "sent", "2": "created", "3": "created"}
    assert recipients["currentRoutingOrder"] == "1"
    assert recipients["recipientCount"] == "3"


def test_a_draft_can_be_sent_later(api):
    envelope_id = create(api, status="created")
    assert api("GET", f"/envelopes/{envelope_id}").json()["status"] == "created"
    assert api("PUT", f"/envelopes/{envelope_id}", {"status": "sent"}).status_code == 200
    assert api("GET", f"/envelopes/{envelope_id}").json()["status"] == "sent"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"recipients": {"signers": [signer(1, email="not-an-email")]}},
            "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
        ),
        ({"recipients": {"signers": [signer(1), signer(1)]}}, "INVALID_RECIPIENT_ID"),
        (
            {"documents": [{"documentBase64": "%%%", "name": "x", "documentId": "1"}]},
            "INVALID_REQUEST_BODY",
        ),
        ({"emailSubject": "x" * 101}, "EMAIL_SUBJECT_TOO_LONG"),
        ({"emailSubject": ""}, "EMAIL_SUBJECT_REQUIRED"),
        ({"status": "completed"}, "INVALID_REQUEST_BODY"),
        ({"documents": [document("no anchors here")]}, "ANCHOR_TAB_STRING_NOT_FOUND"),
        ({"templateId": "00000000-0000-0000-0000-000000000000"}, "TEMPLATE_ID_INVALID"),
        ({"recipients": {}}, "ENVELOPE_HAS_NO_RECIPIENTS"),
    ],
)
def test_bad_envelope_definitions_get_docusigns_error_codes(api, change, code):
    response = api("POST", "/envelopes", definition(**change))
    assert response.status_code == 400
    assert response.json()["errorCode"] == code
    assert response.json()["message"]
    assert not SimEnvelope.objects.exists()


def test_a_body_that_is_not_json_is_invalid_request_body(api, client, world, token):
    response = client.post(
        f"/simulator/restapi/v2.1/accounts/{world.account.account_id}/envelopes",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.json()["errorCode"] == "INVALID_REQUEST_BODY"


def test_unknown_envelope(api):
    response = api("GET", "/envelopes/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 400  # as DocuSign answers it
    assert response.json()["errorCode"] == "ENVELOPE_DOES_NOT_EXIST"


def test_list_status_changes_needs_a_from_date(api):
    response = api("GET", "/envelopes")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_REQUEST_PARAMETER"


def test_list_status_changes_filters_and_pages(api):
    ids = [create(api) for _ in range(3)]
    api("PUT", f"/envelopes/{ids[0]}", {"status": "voided", "voidedReason": "mistake"})
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    page1 = api("GET", "/envelopes", from_date=since, count="2").json()
    assert (page1["resultSetSize"], page1["totalSetSize"], page1["startPosition"]) == (
        "2",
        "3",
        "0",
    )
    assert "nextUri" in page1
    page2 = api("GET", "/envelopes", from_date=since, count="2", start_position="2").json()
    assert page2["resultSetSize"] == "1"
    assert "previousUri" in page2
    assert "nextUri" not in page2
    voided = api("GET", "/envelopes", from_date=since, status="voided").json()
    assert [e["envelopeId"] for e in voided["envelopes"]] == [ids[0]]
    by_ids = api("GET", "/envelopes", envelope_ids=",".join(ids[1:])).json()
    assert by_ids["totalSetSize"] == "2"


def test_list_status_changes_finds_an_envelope_by_custom_field(api):
    envelope_id = create(api)
    create(api, customFields={"textCustomFields": [{"name": "countersign_id", "value": "other"}]})
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    found = api(
        "GET",
        "/envelopes",
        from_date=since,
        custom_field="countersign_id=abc-123",
        include="recipients",
    ).json()
    assert [e["envelopeId"] for e in found["envelopes"]] == [envelope_id]
    assert found["envelopes"][0]["recipients"]["signers"][0]["email"] == "signer1@example.com"


def test_void_only_in_process_envelopes_and_with_a_reason(api):
    envelope_id = create(api)
    assert (
        api("PUT", f"/envelopes/{envelope_id}", {"status": "voided"}).json()["errorCode"]
        == "VOIDED_REASON_REQUIRED"
    )
    assert (
        api(
            "PUT", f"/envelopes/{envelope_id}", {"status": "voided", "voidedReason": "Wrong file"}
        ).status_code
        == 200
    )
    envelope = api("GET", f"/envelopes/{envelope_id}").json()
    assert (envelope["status"], envelope["voidedReason"]) == ("voided", "Wrong file")
    again = api("PUT", f"/envelopes/{envelope_id}", {"status": "voided", "voidedReason": "again"})
    assert again.json()["errorCode"] == "ENVELOPE_CANNOT_VOID_INVALID_STATE"
    draft = create(api, status="created")
    refused = api("PUT", f"/envelopes/{draft}", {"status": "voided", "voidedReason": "x"})
    assert refused.json()["errorCode"] == "ENVELOPE_CANNOT_VOID_INVALID_STATE"


def sign_embedded(client, api, envelope_id, *, values=None, n=1):
    view = api(
        "POST",
        f"/envelopes/{envelope_id}/views/recipient",
        {
            "returnUrl": "https://app.example.com/signed/",
            "authenticationMethod": "none",
            "clientUserId": f"user-{n}",
            "userName": f"Signer {n}",
            "email": f"signer{n}@example.com",
        },
    )
    assert view.status_code == 201, view.content
    path = urlsplit(view.json()["url"]).path
    assert "Please sign" in client.get(path).content.decode()
    data = {"action": "sign", **{f"tab:{k}": v for k, v in (values or {}).items()}}
    return client.post(path, data), path


def test_signing_in_routing_order_through_to_completed(client, api):
    envelope_id = create(api)
    done, path = sign_embedded(client, api, envelope_id, values={"printed_name": "Signer One"})
    assert done["Location"] == "https://app.example.com/signed/?event=signing_complete"
    assert client.get(path)["Location"].endswith("event=ttl_expired")  # single use
    recipients = api("GET", f"/envelopes/{envelope_id}/recipients").json()
    assert [r["status"] for r in recipients["signers"]] == ["completed", "sent"]
    assert recipients["signers"][0]["signedDateTime"]
    tabs = api("GET", f"/envelopes/{envelope_id}/recipients/1/tabs").json()
    assert tabs["textTabs"][0] == {
        "anchorString": "/name1/",
        "tabLabel": "printed_name",
        "value": "Signer One",
    }

    inbox = client.get("/simulator/inbox/", {"email": "signer2@example.com"}).content.decode()
    assert "Please sign" in inbox
    recipient_pk = (
        SimEnvelope.objects.get(envelope_id=envelope_id).recipients.get(recipient_id="2").pk
    )
    signing = client.post(
        "/simulator/inbox/?email=signer2@example.com", {"recipient": recipient_pk}
    )
    client.post(signing["Location"], {"action": "sign"})
    envelope = api("GET", f"/envelopes/{envelope_id}", include="recipients").json()
    assert envelope["status"] == "completed"
    assert envelope["completedDateTime"]
    assert envelope["recipients"]["carbonCopies"][0]["status"] == "completed"


def test_a_recipient_cannot_sign_out_of_turn(api):
    envelope_id = create(api, recipients={"signers": [signer(1, 1), signer(2, 2, embedded=True)]})
    response = api(
        "POST",
        f"/envelopes/{envelope_id}/views/recipient",
        {
            "returnUrl": "https://x/",
            "authenticationMethod": "none",
            "clientUserId": "user-2",
            "userName": "Signer 2",
            "email": "signer2@example.com",
        },
    )
    assert response.json()["errorCode"] == "RECIPIENT_NOT_IN_SEQUENCE"


def test_an_unknown_recipient_gets_no_view(api):
    envelope_id = create(api)
    response = api(
        "POST",
        f"/envelopes/{envelope_id}/views/recipient",
        {
            "returnUrl": "https://x/",
            "authenticationMethod": "none",
            "clientUserId": "nobody",
            "userName": "Nobody",
            "email": "nobody@example.com",
        },
    )
    assert response.json()["errorCode"] == "UNKNOWN_ENVELOPE_RECIPIENT"


def test_declining_declines_the_envelope(client, api):
    envelope_id = create(api)
    view = api(
        "POST",
        f"/envelopes/{envelope_id}/views/recipient",
        {
            "returnUrl": "https://x/back",
            "authenticationMethod": "none",
            "clientUserId": "user-1",
            "userName": "Signer 1",
            "email": "signer1@example.com",
        },
    )
    path = urlsplit(view.json()["url"]).path
    response = client.post(path, {"action": "decline", "reason": "Wrong amount"})
    assert response["Location"] == "https://x/back?event=decline"
    envelope = api("GET", f"/envelopes/{envelope_id}", include="recipients").json()
    assert envelope["status"] == "declined"
    assert envelope["recipients"]["signers"][0]["declinedReason"] == "Wrong amount"


def test_documents_list_and_pdf_downloads(client, api):
    envelope_id = create(api)
    sign_embedded(client, api, envelope_id, values={"printed_name": "Signer One"})
    listing = api("GET", f"/envelopes/{envelope_id}/documents").json()
    assert [d["documentId"] for d in listing["envelopeDocuments"]] == ["1", "certificate"]
    for doc_id in ("1", "combined", "certificate"):
        response = api("GET", f"/envelopes/{envelope_id}/documents/{doc_id}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-1.4")
        assert response.content.rstrip().endswith(b"%%EOF")
    combined = api("GET", f"/envelopes/{envelope_id}/documents/combined").content
    assert b"Signer One" in combined
    certificate = api("GET", f"/envelopes/{envelope_id}/documents/certificate").content
    assert b"Certificate Of Completion" in certificate
    # The account option that attaches the certificate to `combined` is off; asking adds it.
    assert b"Certificate Of Completion" not in combined
    with_it = api("GET", f"/envelopes/{envelope_id}/documents/combined?certificate=true").content
    assert b"Certificate Of Completion" in with_it
    assert b"Signer One" in with_it
    assert (
        api("GET", f"/envelopes/{envelope_id}/documents/9").json()["errorCode"]
        == "DOCUMENT_DOES_NOT_EXIST"
    )


def test_templates_list_get_and_roles(api, world):
    listing = api("GET", "/templates").json()
    assert [t["name"] for t in listing["envelopeTemplates"]] == [
        "Every field",
        "Mutual NDA",
        "Offer letter",
    ]
    nda = next(t for t in world.templates if t.name == "Mutual NDA")
    full = api("GET", f"/templates/{nda.template_id}").json()
    assert [s["roleName"] for s in full["recipients"]["signers"]] == ["Company", "Signer"]
    assert "tabs" not in full["recipients"]["signers"][0]  # only with include=tabs
    roles = api("GET", f"/templates/{nda.template_id}/recipients", include_tabs="true").json()
    labels = [t["tabLabel"] for t in roles["signers"][0]["tabs"]["textTabs"]]
    assert labels == ["company_name", "effective_date"]


def test_send_from_a_template_with_prefilled_tabs(api, world):
    nda = next(t for t in world.templates if t.name == "Mutual NDA")
    body = {
        "templateId": nda.template_id,
        "status": "sent",
        "templateRoles": [
            {
                "roleName": "Company",
                "name": "Acme",
                "email": "legal@acme.example",
                "tabs": {"textTabs": [{"tabLabel": "company_name", "value": "Acme Ltd"}]},
            },
            {"roleName": "Signer", "name": "Sam", "email": "sam@example.com"},
        ],
    }
    response = api("POST", "/envelopes", body)
    assert response.status_code == 201, response.content
    tabs = api("GET", f"/envelopes/{response.json()['envelopeId']}/recipients/1/tabs").json()
    assert {t["tabLabel"]: t["value"] for t in tabs["textTabs"]}["company_name"] == "Acme Ltd"


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        ([{"roleName": "Company", "name": "A", "email": "a@example.com"}], "TEMPLATE_ROLE_MISSING"),
        (
            [
                {"roleName": "Company", "name": "A", "email": "a@example.com"},
                {"roleName": "Signer", "name": "B", "email": "b@example.com"},
                {"roleName": "Witness", "name": "C", "email": "c@example.com"},
            ],
            "TEMPLATE_ROLE_NOT_FOUND",
        ),
        (
            [
                {
                    "roleName": "Company",
                    "name": "A",
                    "email": "a@example.com",
                    "tabs": {"textTabs": [{"tabLabel": "nope", "value": "x"}]},
                },
                {"roleName": "Signer", "name": "B", "email": "b@example.com"},
            ],
            "TAB_LABEL_NOT_FOUND",
        ),
    ],
)
def test_template_roles_must_match_the_template(api, world, roles, code):
    nda = next(t for t in world.templates if t.name == "Mutual NDA")
    response = api(
        "POST",
        "/envelopes",
        {"templateId": nda.template_id, "status": "sent", "templateRoles": roles},
    )
    assert response.json()["errorCode"] == code


def test_sender_view_sends_a_draft(client, api):
    envelope_id = create(api, status="created")
    response = api(
        "POST", f"/envelopes/{envelope_id}/views/sender", {"returnUrl": "https://x/back"}
    )
    assert response.status_code == 201
    path = urlsplit(response.json()["url"]).path
    assert client.post(path, {"action": "send"})["Location"] == "https://x/back?event=Send"
    assert api("GET", f"/envelopes/{envelope_id}").json()["status"] == "sent"


def test_bearer_tokens_and_accounts_are_checked(client, world, token):
    url = f"/simulator/restapi/v2.1/accounts/{world.account.account_id}"
    assert client.get(url).json()["errorCode"] == "USER_AUTHENTICATION_FAILED"
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    other = "/simulator/restapi/v2.1/accounts/00000000-0000-0000-0000-000000000001"
    refused = client.get(other, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.json()["errorCode"] == "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT"


def test_rate_limits_answer_429_with_docusigns_code(api, settings):
    settings.SIMULATOR_HOURLY_LIMIT = 3
    responses = [api("GET", "") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert responses[-1].json()["errorCode"] == "HOURLY_APIINVOCATION_LIMIT_EXCEEDED"


def test_burst_limit(api, settings):
    settings.SIMULATOR_BURST_LIMIT = 2
    statuses = [api("GET", "").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_injected_faults_hit_the_next_matching_requests_only(api):
    inject_fault(status=503, count=2, path_contains="/envelopes")
    assert api("GET", "").status_code == 200  # does not match
    assert api("GET", "/envelopes", envelope_ids="x").status_code == 503
    assert api("GET", "/envelopes", envelope_ids="x").status_code == 503
    assert api("GET", "/envelopes", envelope_ids="x").status_code == 200


def test_auto_sign_completes_remote_recipients_after_the_delay(api, settings):
    envelope_id = create(api, recipients={"signers": [signer(1, 1), signer(2, 2)]})
    settings.SIMULATOR_AUTO_SIGN_SECONDS = 60
    assert api("GET", f"/envelopes/{envelope_id}").json()["status"] == "sent"  # not yet due
    SimEnvelope.objects.get(envelope_id=envelope_id).recipients.update(
        sent=timezone.now() - timedelta(minutes=5)
    )
    api("GET", "")  # first signer signs; the second is only now sent to
    SimEnvelope.objects.get(envelope_id=envelope_id).recipients.update(
        sent=timezone.now() - timedelta(minutes=5)
    )
    assert api("GET", f"/envelopes/{envelope_id}").json()["status"] == "completed"


def test_embedded_signers_are_never_auto_signed(api, settings):
    envelope_id = create(api, recipients={"signers": [signer(1, 1, embedded=True)]})
    settings.SIMULATOR_AUTO_SIGN_SECONDS = 1
    SimEnvelope.objects.get(envelope_id=envelope_id).recipients.update(
        sent=timezone.now() - timedelta(minutes=5)
    )
    assert api("GET", f"/envelopes/{envelope_id}").json()["status"] == "sent"
