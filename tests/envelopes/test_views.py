"""Envelope pages: permissions, compose errors that keep what was typed, list queries."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from envelopes.models import Envelope
from tests.factories import (
    ConnectionFactory,
    DocumentTemplateFactory,
    EnvelopeFactory,
    RecipientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def make_envelope(sender, connection, n=0, **kwargs):
    envelope = EnvelopeFactory(
        connection=connection, sender=sender, subject=f"Envelope {n}", **kwargs
    )
    RecipientFactory(envelope=envelope, name="A", email="a@example.com", recipient_id="1")
    return envelope


def test_pages_need_a_login(client):
    for name in ("envelopes:list", "envelopes:compose"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_composing_needs_the_send_permission(client, app_user):
    client.force_login(app_user)
    assert client.get(reverse("envelopes:compose")).status_code == 403
    assert client.get(reverse("envelopes:list")).status_code == 200


def test_users_see_their_own_envelopes_and_only_auditors_see_all(
    client, signed_in_sender, app_user
):
    connection = ConnectionFactory()
    mine = make_envelope(signed_in_sender, connection, 1)
    theirs = make_envelope(app_user, connection, 2)
    page = client.get(reverse("envelopes:list")).content.decode()
    assert mine.subject in page
    assert theirs.subject not in page
    assert client.get(reverse("envelopes:detail", args=[theirs.pk])).status_code == 404
    staff = UserFactory(username="boss", is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("envelopes:list")).content.decode()
    assert mine.subject not in page  # being staff alone grants nothing
    assert client.get(reverse("envelopes:detail", args=[theirs.pk])).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="view_all_envelopes"))
    client.force_login(UserFactory(username="boss"))  # fresh permission cache
    page = client.get(reverse("envelopes:list")).content.decode()
    assert mine.subject in page
    assert theirs.subject in page


def test_the_list_filters_by_status(client, signed_in_sender):
    connection = ConnectionFactory()
    make_envelope(signed_in_sender, connection, 1, status="completed")
    make_envelope(signed_in_sender, connection, 2, status="sent")
    page = client.get(reverse("envelopes:list"), {"status": "completed"}).content.decode()
    assert "Envelope 1" in page
    assert "Envelope 2" not in page


def test_the_list_costs_the_same_queries_for_any_number_of_envelopes(
    client, signed_in_sender, django_assert_max_num_queries
):
    connection = ConnectionFactory()
    for n in range(60):
        make_envelope(signed_in_sender, connection, n)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("envelopes:list"))
    page = response.content.decode()
    assert "60 envelopes" in page
    assert "Older</a>" in page


def compose_data(**overrides):
    data = {
        "connection": "",
        "source": "generated",
        "subject": "Agreement",
        "message": "Please sign",
        "document_template": "",
        "r-TOTAL_FORMS": "1",
        "r-INITIAL_FORMS": "0",
        "r-MIN_NUM_FORMS": "1",
        "r-MAX_NUM_FORMS": "100",
        "r-0-name": "Erin",
        "r-0-email": "erin@example.com",
        "r-0-kind": "signer",
        "r-0-routing_order": "1",
        "action": "send",
    }
    data.update(overrides)
    return data


def test_bad_input_comes_back_with_the_reason_and_everything_typed(client, signed_in_sender):
    connection = ConnectionFactory()
    template = DocumentTemplateFactory(
        name="NDA",
        body="<p>{{ company }} /sig1/</p>",
        fields=[{"name": "company", "label": "Company"}],
    )
    response = client.post(
        reverse("envelopes:compose"),
        compose_data(
            connection=connection.pk,
            document_template=template.pk,
            **{"r-0-email": "not-an-email", "data_company": "Acme"},
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address" in html
    assert 'value="Agreement"' in html
    assert 'value="Erin"' in html
    assert 'value="Acme"' in html
    assert not Envelope.objects.exists()


def test_a_missing_template_field_and_skipped_routing_order_are_explained(client, signed_in_sender):
    connection = ConnectionFactory()
    template = DocumentTemplateFactory(
        name="NDA", body="<p>{{ company }}</p>", fields=[{"name": "company", "label": "Company"}]
    )
    response = client.post(
        reverse("envelopes:compose"),
        compose_data(
            connection=connection.pk,
            document_template=template.pk,
            **{"r-0-routing_order": "3", "data_company": "Acme"},
        ),
    )
    assert "skip a step" in response.content.decode()
    response = client.post(
        reverse("envelopes:compose"),
        compose_data(connection=connection.pk, document_template=template.pk),
    )
    assert "This field is required" in response.content.decode()


def test_preview_renders_the_generated_document_without_sending(client, signed_in_sender):
    connection = ConnectionFactory()
    template = DocumentTemplateFactory(
        name="NDA",
        body="<p>Between {{ company }} and us</p>",
        fields=[{"name": "company", "label": "Company"}],
    )
    response = client.post(
        reverse("envelopes:compose"),
        compose_data(
            connection=connection.pk,
            document_template=template.pk,
            action="preview",
            data_company="Acme",
        ),
    )
    assert "Between Acme and us" in response.content.decode()
    assert not Envelope.objects.exists()


def test_a_valid_compose_queues_the_envelope_and_shows_its_page(
    client, signed_in_sender, monkeypatch
):
    from envelopes import tasks

    queued = []
    monkeypatch.setattr(tasks.send_envelope, "delay", queued.append)
    connection = ConnectionFactory()
    template = DocumentTemplateFactory(
        name="NDA",
        body="<p>{{ company }} /sig1/</p>",
        fields=[{"name": "company", "label": "Company"}],
    )
    response = client.post(
        reverse("envelopes:compose"),
        compose_data(connection=connection.pk, document_template=template.pk, data_company="Acme"),
    )
    envelope = Envelope.objects.get()
    assert response["Location"] == reverse("envelopes:detail", args=[envelope.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Queued" in page
    assert 'hx-trigger="every 2s"' in page  # live progress from our own database
