"""Signers are who they say: an in-app signer is an app user and only they open their session;
an in-person signer's session is opened by their host; access codes are asked for. Against the
simulator over real HTTP."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from envelopes import signing
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Recipient
from envelopes.sending.definitions import build_definition
from simulator.models import SimRecipient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_in_app_signer_must_be_an_app_user(simulator_connection, sam, template, send_offer):
    with pytest.raises(ValidationError, match="no account here has that email"):
        send_offer(
            simulator_connection,
            sam,
            template,
            [RecipientInput("Stranger", "stranger@example.com", embedded=True)],
        )


def test_only_the_signer_logged_in_opens_their_session(
    simulator_connection, sam, template, client, send_offer
):
    erin = UserFactory(username="erin", email="Erin@Example.com")
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Erin", "erin@example.com", embedded=True)],
    )
    recipient = envelope.recipients.get()
    assert recipient.user == erin
    url = reverse("envelopes:sign", args=[envelope.pk, recipient.pk])

    client.force_login(sam)  # the sender sees the envelope but is not Erin
    assert client.post(url).status_code == 403
    staff = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(staff)  # not even a superuser may sign as Erin
    assert client.post(url).status_code == 403
    assert not envelope.events.filter(kind="signing session opened").exists()

    client.post(reverse("logout"))
    assert client.post(url).status_code == 302  # to the login page, no session
    assert "/accounts/login/" in client.post(url)["Location"]

    client.force_login(erin)
    response = client.post(url)
    assert response.status_code == 302
    assert "/simulator/signing/" in response["Location"]
    opened = envelope.events.get(kind="signing session opened")
    assert opened.actor == erin
    assert "erin opened the signing session of Erin" in opened.detail


def test_in_person_signing_is_hosted_by_the_connections_docusign_user(
    simulator_connection, sam, template, client, send_offer
):
    """DocuSign's host is a DocuSign user (the one the connection impersonates, spelled as
    their profile has it); the app user who hosted is recorded by us."""
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Walk-in Wendy", "wendy@example.com", kind=Recipient.Kind.IN_PERSON)],
    )
    recipient = envelope.recipients.get()
    assert recipient.host == sam
    definition = build_definition(envelope)
    in_person = definition["recipients"]["inPersonSigners"][0]
    assert in_person["hostName"] == "Dana Demo" == simulator_connection.user_name
    assert in_person["hostEmail"] == simulator_connection.user_profile_email
    assert in_person["signerName"] == "Walk-in Wendy"
    assert "clientUserId" not in in_person
    remote = SimRecipient.objects.get()
    assert (remote.kind, remote.host_name, remote.name) == (
        "inPersonSigners",
        "Dana Demo",
        "Walk-in Wendy",
    )

    other = UserFactory(username="other", email="other@example.com")
    with pytest.raises(PermissionDenied):
        signing.signing_url(recipient=recipient, user=other, return_url="https://x/")
    client.force_login(sam)
    response = client.post(reverse("envelopes:sign", args=[envelope.pk, recipient.pk]))
    assert "/simulator/signing/" in response["Location"]
    assert envelope.events.get(kind="signing session opened").actor == sam


def test_in_person_signing_waits_until_the_connection_knows_its_docusign_user(
    simulator_connection, sam, template, send_offer
):
    simulator_connection.user_name = ""
    simulator_connection.save()
    with pytest.raises(ValidationError, match="run the connection's check"):
        send_offer(
            simulator_connection,
            sam,
            template,
            [RecipientInput("Walk-in Wendy", "wendy@example.com", kind=Recipient.Kind.IN_PERSON)],
        )


def test_the_connection_check_reads_the_host_from_docusigns_profile(simulator_connection):
    from connections.services import check_connection

    simulator_connection.user_name = simulator_connection.user_profile_email = ""
    simulator_connection.save()
    assert check_connection(connection=simulator_connection).error is None
    simulator_connection.refresh_from_db()
    assert (simulator_connection.user_name, simulator_connection.user_profile_email) == (
        "Dana Demo",
        simulator_connection.user_email,
    )


def test_the_simulator_refuses_a_host_who_is_not_a_docusign_user(
    simulator_connection, sam, template, send_offer
):
    simulator_connection.user_name = "dana demo"  # not the profile's exact spelling
    simulator_connection.save()
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Walk-in Wendy", "wendy@example.com", kind=Recipient.Kind.IN_PERSON)],
    )
    envelope.refresh_from_db()
    assert envelope.status == "failed"
    assert envelope.error_code == "INVALID_RECIPIENT_HOST"
    assert "is not a DocuSign user of this account" in envelope.error_detail


def test_the_simulator_refuses_a_view_for_another_host(
    simulator_connection, sam, template, send_offer
):
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Walk-in Wendy", "wendy@example.com", kind=Recipient.Kind.IN_PERSON)],
    )
    recipient = envelope.recipients.get()
    # The view is asked for as a host other than the one the envelope names.
    simulator_connection.user_name = "Samuel"
    simulator_connection.save()
    with pytest.raises(Exception, match="not a valid recipient"):
        signing.signing_url(recipient=recipient, user=sam, return_url="https://x/")


def test_an_access_code_is_asked_for_before_the_documents(
    simulator_connection, sam, template, client, send_offer
):
    erin = UserFactory(username="erin", email="erin@example.com")
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [RecipientInput("Erin", "erin@example.com", embedded=True, access_code="Blue-42")],
    )
    recipient = envelope.recipients.get()
    assert SimRecipient.objects.get().access_code == "Blue-42"
    back = "https://app.example/back"

    page = signing.signing_url(recipient=recipient, user=erin, return_url=back)
    path = page.split("//", 1)[1].split("/", 1)[1]
    shown = client.get(f"/{path}")
    assert b"Enter the access code" in shown.content
    assert b"Offer for" not in shown.content
    wrong = client.post(f"/{path}", {"access_code": "red-42"})
    assert wrong["Location"] == f"{back}?event=access_code_failed"

    page = signing.signing_url(recipient=recipient, user=erin, return_url=back)
    path = page.split("//", 1)[1].split("/", 1)[1]
    assert client.post(f"/{path}", {"access_code": "blue-42"}).status_code == 302
    assert b"Offer for" in client.get(f"/{path}").content  # not case-sensitive


@pytest.mark.parametrize("code", ["a<b", "x" * 51])
def test_the_simulator_refuses_an_access_code_docusign_would(
    simulator_connection, sam, template, code
):
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sam,
        subject="Offer",
        recipients=[RecipientInput("Rita", "rita@example.com", access_code=code)],
        document_template=template,
        template_data={"name": "Rita"},
    )
    envelope.refresh_from_db()
    assert envelope.status == "failed"
    assert envelope.error_code == "INVALID_ACCESS_CODE"


def test_an_in_app_signer_gets_no_session_before_their_turn(
    simulator_connection, sam, template, client, send_offer
):
    """Erin signs second: before Alice has signed, her button shows whose turn it is (no
    session is asked of DocuSign); once Alice has signed, DocuSign is asked and Erin signs."""
    from simulator.esign import lifecycle

    erin = UserFactory(username="erin", email="erin@example.com")
    envelope = send_offer(
        simulator_connection,
        sam,
        template,
        [
            RecipientInput("Alice", "alice@example.com", routing_order=1),
            RecipientInput("Erin", "erin@example.com", embedded=True, routing_order=2),
        ],
    )
    erin_row = envelope.recipients.get(name="Erin")
    url = reverse("envelopes:sign", args=[envelope.pk, erin_row.pk])
    client.force_login(erin)
    response = client.post(url)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Waiting for Alice (routing order 1) to sign." in page
    assert "/simulator/signing/" not in page
    assert not envelope.events.filter(kind="signing session opened").exists()

    # Alice signs at DocuSign; we have not heard yet, so the click asks DocuSign once.
    lifecycle.sign(SimRecipient.objects.get(name="Alice"), {})
    response = client.post(url)
    assert response.status_code == 302
    assert "/simulator/signing/" in response["Location"]
    assert envelope.events.get(kind="signing session opened").actor == erin
