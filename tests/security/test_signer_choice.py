"""Choosing an in-app signer from the users: only active users the sender may choose (their
teams' members, or everyone with envelopes.choose_any_signer), nobody else's team leaked,
and only the chosen user opens the signing session. Against the simulator over real HTTP."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Team
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.composing.signers import choosable_signers
from envelopes.models import Envelope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    sales, legal = Team.objects.create(name="Sales"), Team.objects.create(name="Legal")
    sam = UserFactory(
        username="sam", first_name="Sam", last_name="Sender", permissions=["add_envelope"]
    )
    alice = UserFactory(username="alice", first_name="Alice", last_name="Able")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Barker")
    carol = UserFactory(username="carol", first_name="Carol", last_name="Loner")
    gone = UserFactory(username="gone", first_name="Gone", is_active=False)
    mute = UserFactory(username="mute", first_name="Mute", email="")
    sales.members.add(sam, alice, gone, mute)
    legal.members.add(bob)
    return sam, alice, bob, carol


def test_a_sender_chooses_among_active_members_of_their_teams(people):
    sam, alice, _bob, _carol = people
    assert list(choosable_signers(sam)) == [alice, sam]


def test_a_sender_in_no_team_sees_no_teams_members(people):
    _sam, _alice, _bob, carol = people
    loner = UserFactory(username="loner2", first_name="Zed")
    assert list(choosable_signers(loner)) == [carol, loner]


def test_the_permission_opens_every_active_user(people):
    sam, alice, bob, carol = people
    sam.user_permissions.add(Permission.objects.get(codename="choose_any_signer"))
    sam = type(sam).objects.get(pk=sam.pk)  # permissions are cached per instance
    assert set(choosable_signers(sam)) == {sam, alice, bob, carol}


def test_compose_lists_only_those_users_and_leaks_no_one_else(people, simulator_connection, client):
    sam, _alice, _bob, _carol = people
    client.force_login(sam)
    page = client.get(reverse("envelopes:compose")).content.decode()
    assert '<label for="id_r-0-signer_user">App user:</label>' in page
    assert "Alice Able &lt;alice@example.com&gt;" in page
    for hidden in ("Bob", "bob@example.com", "Carol", "Gone", "Mute"):
        assert hidden not in page


def test_choosing_a_user_makes_them_the_signer_and_only_they_open_the_session(
    people, simulator_connection, template, client
):
    sam, alice, bob, _carol = people
    client.force_login(sam)
    form = {
        "connection": simulator_connection.pk,
        "source": "generated",
        "document_template": template.pk,
        "data_name": "Alice",
        "subject": "Offer",
        "team": Team.objects.get(name="Sales").pk,
        "r-TOTAL_FORMS": "1",
        "r-INITIAL_FORMS": "0",
        "r-0-signer_user": alice.pk,  # no name or email typed: the user's are used
        "r-0-name": "",
        "r-0-email": "",
        "r-0-kind": "signer",
        "r-0-routing_order": "1",
        "action": "send",
    }
    response = client.post(reverse("envelopes:compose"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    envelope = Envelope.objects.get()
    recipient = envelope.recipients.get()
    assert (recipient.user, recipient.email, recipient.name) == (
        alice,
        "alice@example.com",
        "Alice Able",
    )
    assert recipient.embedded
    url = reverse("envelopes:sign", args=[envelope.pk, recipient.pk])
    assert client.post(url).status_code == 403  # the sender is not Alice
    client.force_login(bob)
    assert client.post(url).status_code == 404  # Bob may not even see it
    client.force_login(alice)
    assert "/simulator/signing/" in client.post(url)["Location"]


def test_a_user_from_another_team_cannot_be_posted_or_passed(
    people, simulator_connection, template, client
):
    sam, _alice, bob, _carol = people
    client.force_login(sam)
    form = {
        "connection": simulator_connection.pk,
        "source": "generated",
        "document_template": template.pk,
        "data_name": "Someone",
        "subject": "Offer",
        "team": Team.objects.get(name="Sales").pk,
        "r-TOTAL_FORMS": "1",
        "r-INITIAL_FORMS": "0",
        "r-0-signer_user": bob.pk,
        "r-0-kind": "signer",
        "r-0-routing_order": "1",
        "action": "send",
    }
    response = client.post(reverse("envelopes:compose"), form)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Barker" not in response.content.decode()  # nothing about Bob is shown
    with pytest.raises(ValidationError, match="cannot be chosen"):
        prepare.prepare_envelope(
            connection=simulator_connection,
            sender=sam,
            subject="Offer",
            recipients=[RecipientInput("", "", user=bob)],
            document_template=template,
            template_data={"name": "Bob"},
        )
    assert not Envelope.objects.exists()


def test_matching_by_email_still_works_without_the_picker(people, simulator_connection, template):
    sam, alice, _bob, _carol = people
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sam,
        subject="Offer",
        recipients=[RecipientInput("Alice", "ALICE@example.com", embedded=True)],
        document_template=template,
        template_data={"name": "Alice"},
    )
    assert envelope.recipients.get().user == alice
