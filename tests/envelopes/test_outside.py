"""Envelopes the account sent outside Countersign: listed only when the connection asks,
found by the polling already done (no call of their own), marked, and read-only except void
and download for those allowed to act."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from connections.models import ApiCall
from connections.services import get_client
from envelopes.composing import prepare
from envelopes.models import Envelope
from envelopes.tracking.polling import poll_connection
from simulator import control
from simulator.models import SimEnvelope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def outside(connection, subject="Sent from DocuSign"):
    return control.create_outside_envelope(
        account_id=connection.account_id,
        subject=subject,
        signer_name="Olga Outside",
        signer_email="olga@example.com",
    )


def poll(connection):
    before = ApiCall.objects.count()
    result = poll_connection(connection, get_client(connection))
    return result, ApiCall.objects.exclude(path="/oauth/token")[before:].count()


def test_not_listed_unless_the_connection_asks(simulator_connection):
    outside(simulator_connection)
    result, _ = poll(simulator_connection)
    assert result.calls == 0  # nothing of ours to watch: no call at all
    assert not Envelope.objects.exists()


def test_listed_from_the_usual_poll_marked_and_never_twice(simulator_connection):
    simulator_connection.list_outside_envelopes = True
    simulator_connection.save()
    envelope_id = outside(simulator_connection)
    result, calls = poll(simulator_connection)
    assert (result.calls, calls) == (1, 1)  # one listStatusChanges page, nothing per envelope
    row = Envelope.objects.get()
    assert (row.docusign_envelope_id, row.source, row.sender, row.status) == (
        envelope_id,
        Envelope.Source.OUTSIDE,
        None,
        "sent",
    )
    assert row.recipients.get().email == "olga@example.com"
    poll(simulator_connection)
    assert Envelope.objects.count() == 1
    # Its later changes arrive like any envelope's.
    from simulator.esign import lifecycle

    lifecycle.sign(SimEnvelope.objects.get(envelope_id=envelope_id).recipients.get(), {})
    poll(simulator_connection)
    row.refresh_from_db()
    assert row.status == Envelope.Status.COMPLETED


def test_our_own_envelopes_are_never_listed_as_outside(simulator_connection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from envelopes.composing.prepare import RecipientInput

    simulator_connection.list_outside_envelopes = True
    simulator_connection.save()
    ours = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=UserFactory(username="sam"),
        subject="Ours",
        recipients=[RecipientInput("Rita", "rita@example.com")],
        uploads=[SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF")],
    )
    # Forget the link, as if the create's answer were lost: still ours, not "outside".
    Envelope.objects.filter(pk=ours.pk).update(docusign_envelope_id="", status="queued")
    poll(simulator_connection)
    assert not Envelope.objects.filter(source=Envelope.Source.OUTSIDE).exists()


def test_seen_by_those_who_see_all_voided_only_with_the_act_permission(
    simulator_connection, client
):
    simulator_connection.list_outside_envelopes = True
    simulator_connection.save()
    outside(simulator_connection, subject="Lease renewal")
    poll(simulator_connection)
    row = Envelope.objects.get()
    viewer = UserFactory(username="vera")
    viewer.user_permissions.add(Permission.objects.get(codename="view_all_envelopes"))
    client.force_login(viewer)
    listing = client.get(reverse("envelopes:list")).content.decode()
    assert "Lease renewal" in listing
    assert "Sent outside Countersign" in listing
    detail = client.get(reverse("envelopes:detail", args=[row.pk])).content.decode()
    assert 'id="outside-notice"' in detail
    assert "Void this envelope" not in detail
    void_url = reverse("envelopes:void", args=[row.pk])
    assert client.post(void_url, {"reason": "Wrong"}).status_code == 403
    assert client.get(reverse("envelopes:download", args=[row.pk, "combined"])).status_code == 403

    viewer.user_permissions.add(Permission.objects.get(codename="act_on_team_envelopes"))
    client.force_login(UserFactory(username="other"))  # drop the cached permissions
    client.force_login(type(viewer).objects.get(pk=viewer.pk))
    assert client.post(void_url, {"reason": "Sent by mistake"}).status_code == 302
    assert SimEnvelope.objects.get(envelope_id=row.docusign_envelope_id).status == "voided"
    # Nobody else sees it: an ordinary sender has no sight of the account's other envelopes.
    client.force_login(UserFactory(username="sam2"))
    assert client.get(reverse("envelopes:detail", args=[row.pk])).status_code == 404


def test_the_admin_offers_the_option(superuser, client, simulator_connection):
    client.force_login(superuser)
    page = client.get(
        reverse("admin:connections_connection_change", args=[simulator_connection.pk])
    ).content.decode()
    assert 'name="list_outside_envelopes"' in page
