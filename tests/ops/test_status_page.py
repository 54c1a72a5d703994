"""The System status page: the readiness checks and, per connection, its traffic."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from connections.models import ApiCall
from envelopes.models import ConnectEvent, Envelope
from tests.factories import ConnectionFactory, EnvelopeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_needs_its_own_permission_not_staff_or_connection_rights(client, staff_without_perms):
    assert client.get("/ops/status/").status_code in (302, 403)
    client.force_login(staff_without_perms)
    assert client.get("/ops/status/").status_code == 403
    manager = UserFactory(is_staff=True)
    manager.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="connections", codename__endswith="_connection"
        )
    )
    client.force_login(manager)
    assert client.get("/ops/status/").status_code == 403


def test_the_operators_role_opens_it_without_staff(client):
    operator = UserFactory(is_staff=False)
    operator.groups.add(Group.objects.get(name="Operators"))
    client.force_login(operator)
    assert client.get("/ops/status/").status_code == 200


def test_it_shows_checks_budget_calls_waiting_stuck_and_connect(staff_client, settings):
    settings.DOCUSIGN_HOURLY_LIMIT = 100
    acme = ConnectionFactory(name="Acme")
    now = timezone.now()
    for _ in range(3):
        ApiCall.objects.create(
            connection=acme,
            account_id=acme.account_id,
            method="POST",
            path="/envelopes",
            status_code=201,
        )
    ApiCall.objects.create(
        connection=acme,
        account_id=acme.account_id,
        method="GET",
        path="/envelopes/{envelopeId}",
        status_code=200,
    )
    sender = UserFactory()
    EnvelopeFactory(connection=acme, sender=sender, subject="a", status="queued")
    stuck = EnvelopeFactory(
        connection=acme, sender=sender, subject="b", status="sending", claimed_at=now
    )
    Envelope.objects.filter(pk=stuck.pk).update(claimed_at=now - timedelta(minutes=30))
    event = ConnectEvent.objects.create(
        connection=acme,
        identity="x",
        event="envelope-sent",
        docusign_envelope_id="e",
        verified=True,
        body={},
    )
    ConnectEvent.objects.filter(pk=event.pk).update(received_at=now - timedelta(minutes=7))

    response = staff_client.get("/ops/status/")
    assert response.status_code == 200
    page = response.content.decode()
    for check in ("database", "redis", "broker", "worker", "beat"):
        assert f'<th scope="row">{check}</th>' in page
    statuses = {s.connection.name: s for s in response.context["connections"]}
    acme_status = statuses["Acme"]
    # The budget is what the shared budget says (nothing spent from it here), not 100
    # minus the four ApiCall rows: those are history.
    assert acme_status.shared.hourly_remaining == 100
    assert acme_status.budget.calls_last_hour == 4
    assert acme_status.calls_by_kind == [("POST /envelopes", 3), ("GET /envelopes/{envelopeId}", 1)]
    assert (acme_status.waiting, acme_status.stuck) == (2, 1)
    assert acme_status.oldest_unprocessed_at == acme_status.last_connect_at
    assert "100 of 100, back in full at" in page
    assert "<code>POST /envelopes</code> 3" in page
    assert "7\xa0minutes ago" in page


def test_the_budget_shown_is_the_shared_budget_every_worker_paces_by(staff_client, settings):
    from connections.budget import SharedBudget

    settings.DOCUSIGN_HOURLY_LIMIT = 100
    settings.DOCUSIGN_BURST_LIMIT = 20
    settings.DOCUSIGN_INTERACTIVE_RESERVE = 0.0
    acme = ConnectionFactory(name="Acme")
    budget = SharedBudget(acme.account_id)
    for _ in range(7):  # seven calls taken by workers (their ApiCall rows are elsewhere)
        budget.acquire()

    page = staff_client.get("/ops/status/").content.decode()
    assert "93 of 100, back in full at" in page
    assert "13 of 20 left" in page  # the current burst window

    budget.block(time.time() + 600)  # DocuSign refused a call: everyone waits
    page = staff_client.get("/ops/status/").content.decode()
    assert "0 of 100" in page
    assert "every process waits until" in page
