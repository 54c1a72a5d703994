"""Permissions that match the jobs: seeing is never acting, connections offered only to those
allowed, every admin action names its permission, and the role groups exist."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import Team
from accounts.roles import ROLES
from connections.models import Connection
from connections.selectors import usable_connections
from envelopes.composing import prepare
from envelopes.models import Document, Envelope
from tests.factories import (
    ConnectionFactory,
    DocumentTemplateFactory,
    EnvelopeFactory,
    RecipientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def perms(*codenames):
    return Permission.objects.filter(codename__in=codenames)


def envelope_of(sender, **kwargs):
    envelope = EnvelopeFactory(
        sender=sender,
        subject="Contract",
        status="sent",
        docusign_envelope_id="11111111-2222-3333-4444-555555555555",
        **kwargs,
    )
    RecipientFactory(
        envelope=envelope,
        name="Erin",
        email="erin@example.com",
        recipient_id="1",
        embedded=True,
        user=UserFactory(username="erin", email="erin@example.com"),
        status="sent",
    )
    return envelope


def act_urls(envelope):
    recipient = envelope.recipients.get()
    return {
        "void": ("post", reverse("envelopes:void", args=[envelope.pk]), {"reason": "x"}),
        "sign": ("post", reverse("envelopes:sign", args=[envelope.pk, recipient.pk]), {}),
        "download": (
            "get",
            reverse("envelopes:download", args=[envelope.pk, "combined"]),
            {},
        ),
        "draft": ("post", reverse("envelopes:draft", args=[envelope.pk]), {}),
    }


def test_a_staff_user_who_may_see_all_but_not_act_gets_403(client):
    envelope = envelope_of(UserFactory(username="sam"))
    auditor = UserFactory(username="audrey", is_staff=True)
    auditor.user_permissions.add(*perms("view_all_envelopes", "view_connection"))
    client.force_login(auditor)
    assert client.get(reverse("envelopes:detail", args=[envelope.pk])).status_code == 200
    for name, (method, url, data) in act_urls(envelope).items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, name
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "Void this envelope" not in page
    assert "Download:" not in page
    assert not envelope.events.exists()  # nothing was requested


def test_a_staff_user_without_any_envelope_permission_sees_nothing(client):
    envelope = envelope_of(UserFactory(username="sam"))
    client.force_login(UserFactory(username="bob", is_staff=True))
    for method, url, data in act_urls(envelope).values():
        assert getattr(client, method)(url, data).status_code == 404


def test_team_actors_act_on_their_teams_envelopes_only(client, monkeypatch):
    from envelopes import tasks

    monkeypatch.setattr(tasks.void_envelope, "delay", lambda *a: None)
    team, other_team = Team.objects.create(name="Sales"), Team.objects.create(name="Legal")
    ours = envelope_of(UserFactory(username="sam"), team=team)
    theirs = envelope_of(UserFactory(username="lee"), team=other_team)
    viewer = UserFactory(username="vic")
    viewer.teams.add(team)
    viewer.user_permissions.add(*perms("view_team_envelopes"))
    client.force_login(viewer)
    assert client.get(reverse("envelopes:detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("envelopes:detail", args=[theirs.pk])).status_code == 404
    void = reverse("envelopes:void", args=[ours.pk])
    assert client.post(void, {"reason": "wrong"}).status_code == 403

    actor = UserFactory(username="ada")
    actor.teams.add(team)
    actor.user_permissions.add(*perms("view_team_envelopes", "act_on_team_envelopes"))
    client.force_login(actor)
    assert client.post(void, {"reason": "wrong"}).status_code == 302
    assert ours.events.get(kind="void-requested").detail == "wrong"
    other_void = reverse("envelopes:void", args=[theirs.pk])
    assert client.post(other_void, {"reason": "x"}).status_code == 404


def test_uploads_are_downloads_for_actors_only(client):
    from django.core.files.base import ContentFile

    sam = UserFactory(username="sam")
    envelope = envelope_of(sam)
    document = Document(
        envelope=envelope, name="a.html", content_type="text/html", size=3, sha256="0" * 64
    )
    document.file.save("a.html", ContentFile(b"<p>"), save=False)
    document.save()
    url = reverse("envelopes:upload", args=[envelope.pk, document.pk])
    client.force_login(sam)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    auditor = UserFactory(username="audrey")
    auditor.user_permissions.add(*perms("view_all_envelopes"))
    client.force_login(auditor)
    assert client.get(url).status_code == 403


def test_compose_offers_only_the_connections_the_users_groups_allow(client):
    sales = Group.objects.create(name="Sales senders")
    restricted = ConnectionFactory(name="Sales production", environment="production")
    restricted.allowed_groups.add(sales)
    ConnectionFactory(name="Open demo", is_default=True)
    team = Team.objects.create(name="Legal")
    ConnectionFactory(name="Legal demo", team=team)

    sam = UserFactory(username="sam", permissions=["add_envelope"])
    client.force_login(sam)
    page = client.get(reverse("envelopes:compose")).content.decode()
    assert "Open demo (demo, for testing)" in page
    assert "Sales production" not in page
    assert "Legal demo" not in page
    assert [c.name for c in usable_connections(sam)] == ["Open demo"]

    sam.groups.add(sales)
    sam.teams.add(team)
    sam = type(sam).objects.get(pk=sam.pk)
    client.force_login(sam)
    page = client.get(reverse("envelopes:compose")).content.decode()
    assert "Sales production: PRODUCTION (legally binding)" in page
    assert "Legal demo" in page


def test_a_connection_outside_the_users_groups_is_refused_on_post_and_in_template_fields(client):
    sales = Group.objects.create(name="Sales senders")
    restricted = ConnectionFactory(name="Sales production", environment="production")
    restricted.allowed_groups.add(sales)
    sam = UserFactory(username="sam", permissions=["add_envelope"])
    client.force_login(sam)
    response = client.post(
        reverse("envelopes:compose"),
        {
            "connection": restricted.pk,
            "source": "generated",
            "subject": "x",
            "r-TOTAL_FORMS": "1",
            "r-INITIAL_FORMS": "0",
            "r-0-name": "A",
            "r-0-email": "a@example.com",
            "r-0-kind": "signer",
            "r-0-routing_order": "1",
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Envelope.objects.exists()
    fields = reverse("envelopes:template-fields")
    assert client.get(fields, {"connection": restricted.pk}).status_code == 404

    no_send = UserFactory(username="nosend")
    client.force_login(no_send)
    open_one = ConnectionFactory(name="Open")
    assert client.get(fields, {"connection": open_one.pk}).status_code == 403
    assert client.get(reverse("envelopes:document-fields")).status_code == 403


def test_every_admin_action_names_its_permission():
    actions = [
        (model._meta.label, name, func)
        for model, model_admin in admin.site._registry.items()
        for func, name, _description in model_admin._get_base_actions()  # type: ignore[attr-defined]
    ]
    assert any(name == "finish_key_rotation" for _label, name, _func in actions)
    missing = [
        f"{label}.{name}"
        for label, name, func in actions
        if not getattr(func, "allowed_permissions", None)
    ]
    assert missing == []


def test_view_only_staff_cannot_run_key_rotation_or_promotion(client):
    connection = ConnectionFactory(pending_key_fingerprint="SHA256:x")
    viewer = UserFactory(username="vera", is_staff=True)
    viewer.user_permissions.add(*perms("view_connection", "change_connection"))
    client.force_login(viewer)
    url = reverse("admin:connections_connection_changelist")
    actions = client.get(url).context["action_form"].fields["action"].choices
    names = [name for name, _label in actions]
    assert "finish_key_rotation" not in names
    assert "start_key_rotation" not in names
    assert "promote" not in names
    response = client.post(
        url, {"action": "finish_key_rotation", "_selected_action": [connection.pk]}
    )
    assert response.status_code == 302  # back to the list: "No action selected"
    connection.refresh_from_db()
    assert connection.pending_key_fingerprint == "SHA256:x"

    viewer.user_permissions.add(*perms("rotate_keys", "promote_connection"))
    client.force_login(type(viewer).objects.get(pk=viewer.pk))
    names = [n for n, _ in client.get(url).context["action_form"].fields["action"].choices]
    assert {"start_key_rotation", "finish_key_rotation", "promote"} <= set(names)
    promote = reverse("connections:promote", args=[connection.pk])
    assert client.get(promote).status_code == 403  # promoting also needs add_connection


def test_the_role_groups_exist_with_their_permissions():
    for name, wanted in ROLES.items():
        group = Group.objects.get(name=name)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == set(wanted), name
    assert Connection._meta.get_field("allowed_groups")


def test_teams_own_envelopes_templates_and_connections(client):
    sales, legal = Team.objects.create(name="Sales"), Team.objects.create(name="Legal")
    DocumentTemplateFactory(name="Sales offer", body="x", team=sales)
    DocumentTemplateFactory(name="Legal NDA", body="x", team=legal)
    DocumentTemplateFactory(name="Shared letter", body="x")
    ConnectionFactory(name="Sales demo", team=sales, is_default=True)
    sam = UserFactory(username="sam")
    sam.teams.add(sales)
    sam.user_permissions.add(*perms("add_envelope"))
    client.force_login(sam)
    page = client.get(reverse("envelopes:compose")).content.decode()
    assert "Sales offer" in page
    assert "Shared letter" in page
    assert "Legal NDA" not in page
    assert 'name="team"' in page

    mine = EnvelopeFactory(
        connection=Connection.objects.get(name="Sales demo"),
        sender=sam,
        subject="Team offer",
        team=sales,
    )
    colleague = UserFactory(username="cole")
    colleague.teams.add(sales)
    client.force_login(colleague)
    assert "Team offer" not in client.get(reverse("envelopes:list")).content.decode()
    colleague.user_permissions.add(*perms("view_team_envelopes"))
    client.force_login(type(colleague).objects.get(pk=colleague.pk))
    assert "Team offer" in client.get(reverse("envelopes:list")).content.decode()
    outsider = UserFactory(username="otto")
    outsider.teams.add(legal)
    outsider.user_permissions.add(*perms("view_team_envelopes"))
    client.force_login(outsider)
    assert client.get(reverse("envelopes:detail", args=[mine.pk])).status_code == 404


def test_sending_for_a_team_one_is_not_in_is_refused(client):
    from django.core.exceptions import PermissionDenied

    from envelopes.composing.prepare import RecipientInput

    legal = Team.objects.create(name="Legal")
    connection = ConnectionFactory()
    with pytest.raises(PermissionDenied, match="not a member of the team Legal"):
        prepare.prepare_envelope(
            connection=connection,
            sender=UserFactory(username="sam"),
            subject="x",
            recipients=[RecipientInput("A", "a@example.com")],
            docusign_template_id="t",
            team=legal,
        )
    restricted = ConnectionFactory(name="Restricted")
    restricted.allowed_groups.add(Group.objects.create(name="Few"))
    with pytest.raises(PermissionDenied, match="may not send with the connection Restricted"):
        prepare.prepare_envelope(
            connection=restricted,
            sender=UserFactory(username="sam"),
            subject="x",
            recipients=[RecipientInput("A", "a@example.com", role_name="Signer")],
            docusign_template_id="t",
        )
    assert not Envelope.objects.exists()
