"""The 500s of issue 21, each now a clear 4xx with a message that says what is wrong."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.roles import ROLES
from envelopes.composing.prepare import RecipientInput, prepare_envelope
from envelopes.models import DocumentTemplate, Envelope, EnvelopeEvent, Recipient
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def sent(client):
    sender = UserFactory()
    sender.user_permissions.add(Permission.objects.get(codename="add_envelope"))
    envelope = Envelope.objects.create(
        connection=ConnectionFactory(),
        sender=sender,
        subject="Agreement",
        source=Envelope.Source.UPLOADS,
        status="sent",
        docusign_envelope_id=str(uuid.uuid4()),
    )
    Recipient.objects.create(
        envelope=envelope, name="A", email="a@example.com", recipient_id="1", status="sent"
    )
    client.force_login(sender)
    return envelope


@pytest.mark.parametrize("method", ["get", "post"])
def test_editing_an_envelope_that_has_not_failed_says_why(client, sent, method):
    response = getattr(client, method)(f"/envelopes/{sent.pk}/edit/", {"subject": "X"})
    assert response.status_code == 409
    assert "Only a failed envelope can be edited" in response.content.decode()
    sent.refresh_from_db()
    assert sent.subject == "Agreement"


@pytest.mark.parametrize("role", ["Key rotators", "Production approvers"])
def test_view_only_roles_see_the_connection_admin_page(client, role):
    connection = ConnectionFactory(name="Sales")
    user = UserFactory(is_staff=True)
    for permission in ROLES[role]:
        app, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label=app)
        )
    client.force_login(user)
    response = client.get(f"/admin/connections/connection/{connection.pk}/change/")
    assert response.status_code == 200
    assert "Sales" in response.content.decode()


@pytest.mark.parametrize("value", ["x", "²", "9" * 30, "1 OR 1=1"])
@pytest.mark.parametrize("page", ["/envelopes/bulk/", "/envelopes/bulk/example.csv"])
def test_a_bulk_template_that_is_not_a_number_is_a_400(client, sent, page, value):
    DocumentTemplate.objects.create(name="Offer", body="<p>/sig1/</p>")
    response = client.get(page, {"document_template": value})
    assert response.status_code == 400
    assert "'document_template' must be a number" in response.content.decode()


@pytest.mark.parametrize("page", ["signed", "draft/return", "correct-view/return"])
@pytest.mark.parametrize("event", ["%00", "%3Cscript%3E", "x" * 41])
def test_return_pages_refuse_an_event_docusign_never_sends(client, sent, page, event):
    before = EnvelopeEvent.objects.count()
    response = client.get(f"/envelopes/{sent.pk}/{page}/?event={event}")
    assert response.status_code == 400
    assert "event" in response.content.decode() or "NUL" in response.content.decode()
    assert EnvelopeEvent.objects.count() == before  # nothing recorded in the history


@pytest.mark.parametrize("page", ["signed", "draft/return", "correct-view/return"])
def test_return_pages_still_take_docusigns_words(client, sent, page):
    event = {"signed": "signing_complete", "draft/return": "Send"}.get(page, "send")
    response = client.get(f"/envelopes/{sent.pk}/{page}/?event={event}")
    assert response.status_code == 302
    assert EnvelopeEvent.objects.filter(envelope=sent, detail=event).exists()


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ("created_at__year=99999999999", "year in 'created_at__year' must be a number from 1"),
        ("created_at__year=%00", "NUL"),
        ("created_at__month=13&created_at__year=2026", "month"),
        ("created_at__day=x", "day"),
        ("status=%00", "NUL"),
        ("status__exact=%00", "NUL"),
        ("q=a%00b", "NUL"),
    ],
)
@pytest.mark.parametrize(
    "model",
    [
        "envelopes/envelope",
        "connections/connection",
        "connections/apicall",
        "envelopes/documenttemplate",
    ],
)
def test_admin_filters_with_huge_years_or_nul_are_a_400(client, model, query, complaint):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/{model}/?{query}")
    assert response.status_code == 400
    assert complaint in response.content.decode()


def test_a_nul_in_the_path_is_a_400(client, sent):
    response = client.get(f"/envelopes/{sent.pk}/documents/a%00b/")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("username", ["a\x00b", "x" * 2000])
def test_a_hostile_username_at_login_is_counted_not_a_500(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": "wrong"})
    assert response.status_code == 200
    assert (
        "Please enter a correct username" in response.content.decode()
        or response.context["form"].errors
    )


@pytest.mark.parametrize("role", ["r" * 101, "Sig\x00ner"])
def test_a_template_role_name_we_cannot_store_is_refused_with_the_fix(role, docusign_hosts):
    template = DocumentTemplate.objects.create(name="Offer", body="<p>/sig1/</p>")
    with pytest.raises(ValidationError, match="Rename the role in the template at DocuSign"):
        prepare_envelope(
            connection=ConnectionFactory(),
            sender=UserFactory(),
            subject="Offer",
            recipients=[RecipientInput("Erin", "erin@example.com", role_name=role)],
            document_template=template,
        )
    assert not Envelope.objects.exists()
