"""The pages ops and resilience added keep the security model: the System status page and a
failed send or void on an envelope's page carry the CSP with no inline script or style,
seeing a failure is not acting on it, and probes and metrics stay open to a locked-out
address (they are no login)."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import EnvelopeFactory, RecipientFactory, UserFactory

pytestmark = pytest.mark.django_db


def assert_no_inline_script_or_style(response):
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    page = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"
    assert not re.search(r"\sstyle=", page), "inline style"
    assert "<style" not in page


def failed_void(sender):
    envelope = EnvelopeFactory(
        sender=sender,
        subject="Contract",
        status="sent",
        docusign_envelope_id="11111111-2222-3333-4444-555555555555",
        error_code="ENVELOPE_CANNOT_VOID_INVALID_STATE",
        error_detail="Voiding failed: the envelope is in an invalid state.",
    )
    RecipientFactory(
        envelope=envelope, name="Rita", email="rita@example.com", recipient_id="1", status="sent"
    )
    return envelope


def test_the_status_page_has_the_csp_and_no_inline_script_or_style(client):
    operator = UserFactory()
    operator.groups.add(Group.objects.get(name="Operators"))
    client.force_login(operator)
    response = client.get(reverse("ops:status"))
    assert response.status_code == 200
    assert_no_inline_script_or_style(response)


def test_an_auditor_sees_a_failed_void_but_cannot_void_again(client):
    envelope = failed_void(UserFactory(username="sam"))
    auditor = UserFactory(username="audrey", is_staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_all_envelopes"))
    client.force_login(auditor)
    response = client.get(reverse("envelopes:detail", args=[envelope.pk]))
    assert response.status_code == 200
    assert_no_inline_script_or_style(response)
    page = response.content.decode()
    assert 'id="envelope-error"' in page
    assert "Voiding failed" in page
    assert "Void this envelope" not in page
    refused = client.post(reverse("envelopes:void", args=[envelope.pk]), {"reason": "again"})
    assert refused.status_code == 403
    envelope.refresh_from_db()
    assert envelope.void_requested_at is None


def test_the_sender_sees_the_failure_and_may_void_again(client):
    sam = UserFactory(username="sam", permissions=["add_envelope"])
    envelope = failed_void(sam)
    client.force_login(sam)
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "Voiding failed" in page
    assert "Void this envelope" in page


def test_probes_and_metrics_answer_a_locked_out_address(client, settings):
    settings.METRICS_TOKEN = "m" * 32
    UserFactory(username="carol")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post("/accounts/login/", {"username": "carol", "password": "x"})
    locked = client.post("/accounts/login/", {"username": "carol", "password": "x"})
    assert locked.status_code == 429
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)  # answered, not locked out
    metrics = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {'m' * 32}")
    assert metrics.status_code == 200
    assert b"countersign_metrics_source_up" in metrics.content
