"""Recipient authentication by SMS code (DocuSign's Phone Authentication workflow), per
recipient beside the access code: the phone number's rules, what is sent to DocuSign, and the
simulator asking for the texted code before the documents. Against the simulator over real
HTTP."""

import logging
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from connections.models import ApiCall
from envelopes import signing
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope, Recipient
from envelopes.phones import masked
from envelopes.sending.recipient_auth import parse_phone
from simulator import control
from simulator.esign import identity
from simulator.models import SimRecipient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+44 7700 900123"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("+44 7700 900123", "+44 7700900123"),
        ("+1 (415) 555-0100", "+1 4155550100"),
        ("+353-87-123-4567", "+353 871234567"),
    ],
)
def test_a_phone_number_is_its_country_code_then_the_number(text, stored):
    assert str(parse_phone(text)) == stored


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "with its country code"),
        ("07700 900123", "Start with + and the country code"),
        ("+447700900123", "Start with + and the country code"),
        ("+44 07700 900123", "Leave out the leading 0"),
        ("+1 555 0100", "10 digits"),
        ("+4444 7700900123", "is not a country code"),
        ("+44 7700 9001 2345 6789", "at most 15"),
        ("+44 7700 CALLME", "only digits"),
    ],
)
def test_a_bad_phone_number_says_what_is_wrong(text, says):
    with pytest.raises(ValidationError, match=re.escape(says)):
        parse_phone(text)


def test_the_phone_is_masked_where_it_is_shown():
    assert masked("+44 7700900123") == "+44 •••••••123"


def test_an_sms_signer_is_sent_with_docusigns_phone_workflow_and_asked_for_the_code(
    simulator_connection, sam, template, client, caplog, send_offer
):
    caplog.set_level(logging.DEBUG)
    erin = UserFactory(username="erin", email="erin@example.com")
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Erin", "erin@example.com", embedded=True, sms_phone=PHONE)],
    )
    assert envelope.status == Envelope.Status.SENT
    recipient = envelope.recipients.get()
    assert recipient.sms_phone == "+44 7700900123"
    assert recipient.authentication == "SMS code to +44 •••••••123"

    # DocuSign got the account's Phone Authentication workflow and the number, split.
    sim = SimRecipient.objects.get()
    account = sim.envelope.account
    assert sim.identity_verification["workflowId"] == identity.phone_workflow_id(account)
    assert sim.identity_verification["inputOptions"][0]["phoneNumberList"] == [
        {"countryCode": "44", "number": "7700900123"}
    ]
    assert ApiCall.objects.filter(path="/identity_verification").count() == 1
    # The recipient GETs reflect the authentication.
    from connections.services import get_client

    client_ = get_client(simulator_connection)
    got = client_.get_json(f"/envelopes/{envelope.docusign_envelope_id}/recipients")
    assert (
        got["signers"][0]["identityVerification"]["workflowId"]
        == sim.identity_verification["workflowId"]
    )
    # The number is personal data: in no log line.
    assert "7700900123" not in caplog.text
    assert "900123" not in caplog.text

    # The signing page asks for the texted code before it shows anything.
    back = "https://app.example/back"
    page = signing.signing_url(recipient=recipient, user=erin, return_url=back)
    path = "/" + page.split("//", 1)[1].split("/", 1)[1]
    shown = client.get(path)
    assert b"Verify your identity" in shown.content
    assert b"Offer for" not in shown.content
    assert "+44 •••••••123".encode() in shown.content
    assert not control.text_messages()
    client.post(path, {"action": "send_code", "phone": "0"})
    (message,) = control.text_messages(phone="+44 7700900123")
    wrong = "000000" if message.code != "000000" else "111111"
    refused = client.post(path, {"action": "verify", "code": wrong})
    assert refused["Location"] == f"{back}?event=id_check_failed"
    assert client.get(path)["Location"] == f"{back}?event=ttl_expired"  # the session is spent

    # A new session, a new code: the right one opens the documents.
    page = signing.signing_url(recipient=recipient, user=erin, return_url=back)
    path = "/" + page.split("//", 1)[1].split("/", 1)[1]
    assert client.post(path, {"action": "verify", "code": "123456"}).status_code == 200  # none yet
    client.post(path, {"action": "send_code"})
    code = control.text_messages()[0].code
    assert client.post(path, {"action": "verify", "code": code}).status_code == 302
    assert b"Offer for" in client.get(path).content


def test_the_app_explains_a_wrong_sms_code(simulator_connection, sam, template, client, send_offer):
    erin = UserFactory(username="erin", email="erin@example.com")
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Erin", "erin@example.com", embedded=True, sms_phone=PHONE)],
    )
    client.force_login(erin)
    back = client.get(reverse("envelopes:signed", args=[envelope.pk]) + "?event=id_check_failed")
    page = client.get(back["Location"]).content.decode()
    assert "The SMS code was wrong" in page


def test_an_account_without_phone_authentication_fails_visibly(
    simulator_connection, sam, template, monkeypatch, send_offer
):
    cache.clear()
    monkeypatch.setattr(identity, "workflows_json", lambda account: {"identityVerification": []})
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Rita", "rita@example.com", sms_phone=PHONE)],
    )
    assert envelope.status == Envelope.Status.FAILED
    assert envelope.error_code == "PHONE_AUTHENTICATION_UNAVAILABLE"
    assert "send again with an access code" in envelope.error_detail
    assert not SimRecipient.objects.exists()  # nothing was created at DocuSign


def test_the_simulator_refuses_a_workflow_the_account_does_not_have(
    simulator_connection, sam, template, monkeypatch, send_offer
):
    from envelopes.sending import recipient_auth

    monkeypatch.setattr(
        recipient_auth, "phone_workflow_id", lambda client, account_id: "not-a-workflow"
    )
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Rita", "rita@example.com", sms_phone=PHONE)],
    )
    assert envelope.status == Envelope.Status.FAILED
    assert envelope.error_code == "IDENTITY_WORKFLOW_INVALID_ID"


@pytest.mark.parametrize(
    ("recipient", "says"),
    [
        (RecipientInput("Rita", "r@example.com", sms_phone=PHONE, access_code="x"), "not both"),
        (RecipientInput("Rita", "r@example.com", sms_phone="07700 900123"), "Rita's phone"),
        (
            RecipientInput("Cal", "c@x.com", kind=Recipient.Kind.CARBON_COPY, sms_phone=PHONE),
            "SMS codes are for signers",
        ),
    ],
)
def test_the_service_refuses_what_docusign_would_not_take(
    simulator_connection, sam, template, recipient, says, send_offer
):
    signer = RecipientInput("Sid", "sid@example.com")
    recipients = [signer, recipient] if recipient.kind != Recipient.Kind.SIGNER else [recipient]
    with pytest.raises(ValidationError, match=says):
        send_offer(simulator_connection, sam, template, recipients)
    assert not Envelope.objects.exists()


def test_compose_offers_none_access_code_or_sms_and_says_what_is_wrong(
    simulator_connection, sam, template, client
):
    client.force_login(sam)
    form = {
        "connection": simulator_connection.pk,
        "source": "generated",
        "document_template": template.pk,
        "data_name": "Rita",
        "subject": "Offer",
        "r-TOTAL_FORMS": "1",
        "r-INITIAL_FORMS": "0",
        "r-0-name": "Rita",
        "r-0-email": "rita@example.com",
        "r-0-kind": "signer",
        "r-0-routing_order": "1",
        "r-0-authentication": "sms",
        "r-0-sms_phone": "07700 900123",
        "action": "send",
    }
    page = client.get(reverse("envelopes:compose")).content.decode()
    assert '<option value="sms">SMS code</option>' in page
    assert 'for="id_r-0-sms_phone"' in page
    response = client.post(reverse("envelopes:compose"), form)
    assert response.status_code == 200
    assert "Start with + and the country code" in response.content.decode()
    assert not Envelope.objects.exists()

    form["r-0-sms_phone"] = PHONE
    response = client.post(reverse("envelopes:compose"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Recipient.objects.get().sms_phone == "+44 7700900123"
    assert SimRecipient.objects.get().identity_verification
