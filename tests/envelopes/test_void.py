"""The void rule: only envelopes out for signature may be voided, by the page or a worker."""

import pytest
import responses
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from envelopes.models import Envelope, EnvelopeEvent
from envelopes.sending import voids
from tests.factories import ConnectionFactory, EnvelopeFactory, RecipientFactory, UserFactory

pytestmark = pytest.mark.django_db

VOIDABLE = {"sent", "delivered"}  # DocuSign voids only envelopes still out for signature
ENVELOPE_ID = "0000000a-0000-0000-0000-000000000000"


def make_envelope(status, sender=None):
    envelope = EnvelopeFactory(
        connection=ConnectionFactory(account_id="a4ec37d6-0000-0000-0000-000000000002"),
        sender=sender or UserFactory(),
        subject="Agreement",
        status=status,
        docusign_envelope_id=ENVELOPE_ID,
    )
    RecipientFactory(envelope=envelope, name="A", email="a@example.com", recipient_id="1")
    return envelope


@pytest.mark.parametrize("status", sorted(set(Envelope.Status) - VOIDABLE))
@responses.activate
def test_the_void_service_refuses_envelopes_that_are_not_out_for_signature(status):
    envelope = make_envelope(status)
    assert not voids.may_void(envelope)
    # A worker holding a void request for it asks DocuSign nothing.
    Envelope.objects.filter(pk=envelope.pk).update(void_requested_at=timezone.now())
    voids.void_envelope(envelope_id=str(envelope.pk))
    with pytest.raises(ValidationError, match="out for signature"):
        voids.request_void(envelope=envelope, reason="Wrong file")
    envelope.refresh_from_db()
    assert envelope.status == status
    assert not EnvelopeEvent.objects.filter(envelope=envelope).exists()
    assert len(responses.calls) == 0  # DocuSign was never asked


@pytest.mark.parametrize("status", sorted(VOIDABLE))
def test_envelopes_out_for_signature_may_be_voided_with_a_reason(status):
    envelope = make_envelope(status)
    assert voids.may_void(envelope)
    with pytest.raises(ValidationError, match="Say why"):
        voids.request_void(envelope=envelope, reason="  ")


@pytest.mark.parametrize(
    ("status", "requested"), [("completed", False), ("created", False), ("sent", True)]
)
def test_the_void_page_asks_the_service(
    client, status, requested, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    envelope = make_envelope(status, sender=user)
    detail = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert ("Void this envelope" in detail) is requested
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("envelopes:void", args=[envelope.pk]), {"reason": "Wrong file"}
        )
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert EnvelopeEvent.objects.filter(envelope=envelope, kind="void-requested").exists() is (
        requested
    )
    assert (len(callbacks) == 1) is requested
    if not requested:
        assert shown == ["Only envelopes that are out for signature can be voided."]
