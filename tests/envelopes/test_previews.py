"""Previews over real HTTP against the simulator: an envelope's documents as DocuSign holds
them (converted from HTML), a template's documents with the values to be filled in; inert
(sandbox policy, nosniff), on the shared budget, behind the act and send permissions."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Team
from connections.models import ApiCall
from envelopes.composing import prepare, template_tabs
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope
from simulator.esign.api import inject_fault
from simulator.models import SimTemplate
from tests.envelopes.test_template_tabs import filled_in, keys
from tests.factories import EnvelopeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HTML = (
    b"<html><body><h1>Lease</h1><p>Rent is due monthly.</p><script>alert(1)</script></body></html>"
)


def perms(*codenames):
    return Permission.objects.filter(codename__in=codenames)


def assert_inert(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox;")
    assert "frame-ancestors 'self'" in policy
    assert "script-src" not in policy  # default-src 'none' covers scripts
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def sent_html(connection, sender, team=None):
    return prepare.prepare_envelope(
        connection=connection,
        sender=sender,
        subject="Lease",
        recipients=[RecipientInput("Rita", "rita@example.com")],
        uploads=[SimpleUploadedFile("lease.html", HTML, content_type="text/html")],
        team=team,
    )


def test_an_envelope_is_previewed_as_docusign_converted_it(
    client, signed_in_sender, simulator_connection
):
    envelope = sent_html(simulator_connection, signed_in_sender)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    url = reverse("envelopes:preview", args=[envelope.pk, "combined"])
    assert f'href="{url}" target="preview-frame"' in page  # loaded on request: one call
    before = ApiCall.objects.count()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert_inert(response)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")  # DocuSign's PDF of the HTML, not the HTML itself
    assert b"Rent is due monthly." in body
    assert b"<script>" not in body
    call = ApiCall.objects.order_by("pk").last()
    assert ApiCall.objects.count() == before + 1
    assert call.path == "/envelopes/{envelopeId}/documents/{documentId}"


def test_seeing_an_envelope_is_not_enough_to_preview_it(
    client, signed_in_sender, simulator_connection
):
    team = Team.objects.create(name="Sales")
    signed_in_sender.teams.add(team)
    envelope = sent_html(simulator_connection, signed_in_sender, team=team)
    url = reverse("envelopes:preview", args=[envelope.pk, "combined"])
    viewer = UserFactory(username="vic")
    viewer.teams.add(team)
    viewer.user_permissions.add(*perms("view_team_envelopes"))
    client.force_login(viewer)
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "document-preview" not in page
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(username="stranger"))
    assert client.get(url).status_code == 404
    actor = UserFactory(username="ada")
    actor.teams.add(team)
    actor.user_permissions.add(*perms("view_team_envelopes", "act_on_team_envelopes"))
    client.force_login(actor)
    assert client.get(url).status_code == 200


def test_a_preview_that_fails_says_why_in_the_frame(client, signed_in_sender, simulator_connection):
    envelope = sent_html(simulator_connection, signed_in_sender)
    inject_fault(status=400, count=1, operation="Documents_GetDocument")
    response = client.get(reverse("envelopes:preview", args=[envelope.pk, "combined"]))
    assert response.status_code == 502
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert_inert(response)
    assert response.content.decode().startswith("The preview could not be loaded:")
    unsent = EnvelopeFactory(
        connection=simulator_connection, sender=signed_in_sender, subject="Not yet"
    )
    waiting = client.get(reverse("envelopes:preview", args=[unsent.pk, "combined"]))
    assert waiting.status_code == 409
    assert "DocuSign does not have this envelope yet" in waiting.content.decode()
    assert client.get(reverse("envelopes:preview", args=[envelope.pk, "x"])).status_code == 404


def test_a_template_document_preview(client, signed_in_sender, simulator_connection):
    template = SimTemplate.objects.get(name="Every field")
    url = reverse("envelopes:template-preview")
    query = {
        "connection": simulator_connection.pk,
        "docusign_template": template.template_id,
        "document": "1",
    }
    response = client.get(url, query)
    assert response.status_code == 200
    assert_inert(response)
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    bad = client.get(url, {**query, "docusign_template": "x' OR 1=1"})
    assert bad.status_code == 400
    assert "is not a DocuSign template ID" in bad.content.decode()
    assert_inert(bad)
    missing = client.get(url, {**query, "document": "9"})
    assert missing.status_code == 502
    assert "DOCUMENT_DOES_NOT_EXIST" in missing.content.decode()
    client.force_login(UserFactory(username="reader"))  # no permission to send
    assert client.get(url, query).status_code == 403


def test_compose_previews_a_template_with_the_values_to_fill_in(
    client, signed_in_sender, simulator_connection
):
    template = SimTemplate.objects.get(name="Every field")
    fields = template_tabs.describe(
        connection=simulator_connection, template_id=template.template_id
    )
    tabs, roles = keys(fields)
    data = filled_in(
        simulator_connection,
        fields,
        action="preview",
        **{f"{roles['Customer']}-name": "", f"{roles['Customer']}-email": ""},
    )
    page = html.unescape(client.post(reverse("envelopes:compose"), data).content.decode())
    assert not Envelope.objects.exists()
    assert 'id="values-to-fill"' in page
    for row in (
        '<td data-label="Field">start_date</td><td data-label="Value">03/01/2027</td>',
        '<td data-label="Field">plan</td><td data-label="Value">Business</td>',
        '<td data-label="Field">premium</td><td data-label="Value">ticked</td>',
        '<td data-label="Field">billing</td><td data-label="Value">yearly</td>',
        '<td data-label="For">You (the sender)</td><td data-label="Field">order_ref</td>',
    ):
        assert row in page
    assert reverse("envelopes:template-preview") + f"?connection={simulator_connection.pk}" in page
    assert 'value="Cleo Ltd"' in page  # nothing typed is lost

    bad = html.unescape(
        client.post(
            reverse("envelopes:compose"), {**data, tabs[("Customer", "seats")]: "lots"}
        ).content.decode()
    )
    assert "Customer: seats: 'lots' is not a number" in bad
    assert 'id="values-to-fill"' not in bad
