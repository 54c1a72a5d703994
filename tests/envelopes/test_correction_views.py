"""The envelope page's change actions: the act permission, clear refusals, nothing lost."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from envelopes.models import EnvelopeChange, EnvelopeEvent
from tests.factories import ConnectionFactory, EnvelopeFactory, RecipientFactory, UserFactory

pytestmark = pytest.mark.django_db

ENVELOPE_ID = "0000000a-0000-0000-0000-000000000000"


def make_envelope(status, sender=None):
    envelope = EnvelopeFactory(
        connection=ConnectionFactory(account_id="a4ec37d6-0000-0000-0000-000000000002"),
        sender=sender or UserFactory(),
        subject="Agreement",
        status=status,
        docusign_envelope_id=ENVELOPE_ID if status != "failed" else "",
    )
    RecipientFactory(
        envelope=envelope, name="A", email="a@example.com", recipient_id="1", status="sent"
    )
    return envelope


def viewer_of_everything():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_all_envelopes"))
    return user


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("envelopes:resend", "post", {}),
        ("envelopes:notification", "post", {"n-expire_after_days": "10"}),
        ("envelopes:correct-view", "post", {}),
        ("envelopes:correct-view-return", "get", {"event": "send"}),
        ("envelopes:edit-failed", "get", {}),
    ],
)
def test_seeing_an_envelope_is_not_acting_on_it(client, name, method, data):
    envelope = make_envelope("sent")
    client.force_login(viewer_of_everything())
    assert client.get(reverse("envelopes:detail", args=[envelope.pk])).status_code == 200
    response = getattr(client, method)(reverse(name, args=[envelope.pk]), data)
    assert response.status_code == 403
    recipient = envelope.recipients.get()
    url = reverse("envelopes:correct-recipient", args=[envelope.pk, recipient.pk])
    assert client.post(url, {"name": "B", "email": "b@example.com"}).status_code == 403
    assert not EnvelopeChange.objects.exists()


def test_resend_of_a_completed_envelope_is_refused_with_the_reason(client):
    sender = UserFactory()
    envelope = make_envelope("completed", sender)
    client.force_login(sender)
    response = client.post(reverse("envelopes:resend", args=[envelope.pk]))
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [
        "Only an envelope out for signature can be resent or corrected; this one is completed."
    ]
    assert not EnvelopeChange.objects.exists()


def test_bad_correction_input_is_shown_and_the_typed_values_are_kept(
    client, django_capture_on_commit_callbacks
):
    sender = UserFactory()
    envelope = make_envelope("sent", sender)
    recipient = envelope.recipients.get()
    client.force_login(sender)
    url = reverse("envelopes:correct-recipient", args=[envelope.pk, recipient.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"name": "Bea Typed", "email": "not-an-email"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert 'value="Bea Typed"' in page
    assert not callbacks
    assert not EnvelopeChange.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"name": "Bea", "email": "bea@example.com"})
    assert response.status_code == 302
    assert len(callbacks) == 1  # the worker is asked once committed
    change = EnvelopeChange.objects.get()
    assert change.payload == {"name": "Bea", "email": "bea@example.com"}
    recipient.refresh_from_db()
    assert recipient.email == "a@example.com"  # ours waits for DocuSign
    assert EnvelopeEvent.objects.get(kind="correction-requested").actor == sender


def test_bad_reminder_settings_are_explained_on_the_form(client):
    sender = UserFactory()
    envelope = make_envelope("sent", sender)
    client.force_login(sender)
    response = client.post(
        reverse("envelopes:notification", args=[envelope.pk]),
        {
            "n-reminders": "on",
            "n-reminder_delay_days": "20",
            "n-reminder_frequency_days": "0",
            "n-expire_after_days": "10",
            "n-expire_warn_days": "10",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "before the first reminder" in page
    assert "less than the expiry" in page
    assert 'value="20"' in page
    assert not EnvelopeChange.objects.exists()


def test_a_failed_envelope_offers_edit_and_others_do_not(client):
    sender = UserFactory()
    client.force_login(sender)
    failed = make_envelope("failed", sender)
    sent = make_envelope("sent", sender)
    assert (
        "Edit and send again"
        in client.get(reverse("envelopes:detail", args=[failed.pk])).content.decode()
    )
    assert (
        "Edit and send again"
        not in client.get(reverse("envelopes:detail", args=[sent.pk])).content.decode()
    )
    response = client.post(
        reverse("envelopes:edit-failed", args=[sent.pk]),
        {"subject": "X", "r-TOTAL_FORMS": "0", "r-INITIAL_FORMS": "0"},
    )
    assert "Only a failed envelope can be edited" in response.content.decode()
    sent.refresh_from_db()
    assert sent.subject == "Agreement"
