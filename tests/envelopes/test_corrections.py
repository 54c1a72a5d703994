"""Resend, correct, reminders and expiry of envelopes in flight, over real HTTP against the
simulator: DocuSign first, ours after; refusals visible; embedded signing keeps working."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from connections.docusign import esignature
from connections.models import ApiCall
from connections.schedules import Schedule
from connections.services import get_client
from envelopes import signing
from envelopes.changes import corrections
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope, EnvelopeChange
from simulator import control
from simulator.esign import lifecycle
from simulator.esign.notifications import EXPIRED_REASON
from simulator.models import SimEnvelope, SimRecipient, SimSigningSession
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"


@pytest.fixture
def fred(db):
    return UserFactory(username="fred", email="fred@example.com")


def sent_envelope(connection, sender, recipients=None):
    """Prepared and sent (tasks run inline once committed)."""
    envelope = prepare.prepare_envelope(
        connection=connection,
        sender=sender,
        subject="Contract",
        recipients=recipients or [RecipientInput("Rita Remote", "rita@example.com")],
        uploads=[SimpleUploadedFile("doc.pdf", PDF)],
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    return envelope


def sim(envelope):
    return SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)


def test_resend_emails_the_recipients_who_have_not_acted_and_is_in_the_history(
    simulator_connection, sender
):
    envelope = sent_envelope(simulator_connection, sender)
    assert sim(envelope).recipients.get().notifications_sent == 1
    change = corrections.request_resend(envelope=envelope, actor=sender)
    change.refresh_from_db()
    assert change.status == EnvelopeChange.Status.DONE
    assert sim(envelope).recipients.get().notifications_sent == 2
    assert ApiCall.objects.filter(method="PUT", path="/envelopes/{envelopeId}").exists()
    resent = envelope.events.get(kind="resent")
    assert resent.actor == sender
    assert envelope.events.get(kind="resend-requested").actor == sender


def test_finished_envelopes_are_neither_resent_nor_corrected_and_docusign_is_not_asked(
    simulator_connection, sender
):
    envelope = sent_envelope(simulator_connection, sender)
    Envelope.objects.filter(pk=envelope.pk).update(status=Envelope.Status.COMPLETED)
    envelope.refresh_from_db()
    calls = ApiCall.objects.count()
    with pytest.raises(ValidationError, match="Only an envelope out for signature"):
        corrections.request_resend(envelope=envelope, actor=sender)
    with pytest.raises(ValidationError, match="Only an envelope out for signature"):
        corrections.request_correction(
            recipient=envelope.recipients.get(), actor=sender, name="R", email="r@example.com"
        )
    assert ApiCall.objects.count() == calls
    assert not EnvelopeChange.objects.exists()


def test_correcting_an_email_changes_docusign_then_ours_and_emails_the_new_address(
    simulator_connection, sender
):
    envelope = sent_envelope(simulator_connection, sender)
    recipient = envelope.recipients.get()
    corrections.request_correction(
        recipient=recipient, actor=sender, name="Rita Right", email="rita.right@example.com"
    )
    recipient.refresh_from_db()
    assert (recipient.name, recipient.email) == ("Rita Right", "rita.right@example.com")
    at_docusign = sim(envelope).recipients.get()
    assert (at_docusign.name, at_docusign.email) == ("Rita Right", "rita.right@example.com")
    assert at_docusign.notifications_sent == 2  # the new address got the envelope
    event = envelope.events.get(kind="corrected")
    assert event.actor == sender
    assert "rita@example.com" in event.detail


def test_an_in_app_signer_corrected_to_another_app_user_signs_embedded_afterwards(
    simulator_connection, sender, app_signer, fred
):
    envelope = sent_envelope(
        simulator_connection,
        sender,
        [RecipientInput("Erin", "erin@example.com", embedded=True)],
    )
    recipient = envelope.recipients.get()
    client_user_id = sim(envelope).recipients.get().client_user_id
    assert recipient.user == app_signer
    corrections.request_correction(
        recipient=recipient, actor=sender, name="Fred", email="fred@example.com"
    )
    recipient.refresh_from_db()
    assert recipient.user == fred
    # Same clientUserId at DocuSign: the recipient view for the corrected signer opens.
    assert sim(envelope).recipients.get().client_user_id == client_user_id
    url = signing.signing_url(recipient=recipient, user=fred, return_url="https://app.example/")
    assert "/simulator/signing/" in url
    assert SimSigningSession.objects.get().recipient.email == "fred@example.com"


def test_an_in_app_signer_can_only_become_an_app_user(simulator_connection, sender, app_signer):
    envelope = sent_envelope(
        simulator_connection,
        sender,
        [RecipientInput("Erin", "erin@example.com", embedded=True)],
    )
    with pytest.raises(ValidationError, match="cannot sign in this app"):
        corrections.request_correction(
            recipient=envelope.recipients.get(),
            actor=sender,
            name="Nobody",
            email="nobody@example.com",
        )
    assert not EnvelopeChange.objects.exists()


def test_a_correction_docusign_refuses_leaves_ours_unchanged_and_shows_why(
    simulator_connection, sender, client
):
    envelope = sent_envelope(
        simulator_connection,
        sender,
        [RecipientInput("Rita", "rita@example.com"), RecipientInput("Sue", "sue@example.com")],
    )
    # Rita signed at DocuSign (Sue has not, so the envelope is still out); we have not heard.
    lifecycle.sign(
        SimRecipient.objects.get(
            envelope__envelope_id=envelope.docusign_envelope_id, email="rita@example.com"
        ),
        {},
    )
    recipient = envelope.recipients.get(email="rita@example.com")
    change = corrections.request_correction(
        recipient=recipient, actor=sender, name="Rita Right", email="rita.right@example.com"
    )
    change.refresh_from_db()
    recipient.refresh_from_db()
    assert change.status == EnvelopeChange.Status.FAILED
    assert "RECIPIENT_UPDATE_FAILED" in change.error
    assert "How to fix it" in change.error
    assert recipient.email == "rita@example.com"
    assert envelope.events.filter(kind="correct-refused").exists()
    client.force_login(sender)
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "RECIPIENT_UPDATE_FAILED" in page


def test_reminders_and_expiry_go_out_with_the_create_and_change_in_flight(
    simulator_connection, sender
):
    simulator_connection.reminder_delay_days = 2
    simulator_connection.reminder_frequency_days = 3
    simulator_connection.expire_after_days = 30
    simulator_connection.expire_warn_days = 5
    simulator_connection.save()
    envelope = sent_envelope(simulator_connection, sender)
    assert Schedule.of(envelope) == Schedule(2, 3, 30, 5)
    client = get_client(simulator_connection)
    assert esignature.get_notification(client, envelope.docusign_envelope_id) == {
        "useAccountDefaults": "false",
        "reminders": {"reminderEnabled": "true", "reminderDelay": "2", "reminderFrequency": "3"},
        "expirations": {"expireEnabled": "true", "expireAfter": "30", "expireWarn": "5"},
    }
    at_docusign = sim(envelope)
    assert at_docusign.expires == at_docusign.sent + timedelta(days=30)

    corrections.request_notification_change(
        envelope=envelope, actor=sender, schedule=Schedule(None, 0, 10, 0)
    )
    envelope.refresh_from_db()
    assert Schedule.of(envelope) == Schedule(None, 0, 10, 0)
    notification = esignature.get_notification(client, envelope.docusign_envelope_id)
    assert notification["reminders"]["reminderEnabled"] == "false"
    assert notification["expirations"]["expireAfter"] == "10"
    got = esignature.get_envelope(client, envelope.docusign_envelope_id)
    assert got["expireDateTime"].startswith(
        (at_docusign.sent + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    )
    assert envelope.events.get(kind="notification-changed").actor == sender


def test_an_envelope_expires_at_docusign_and_we_learn_it_was_voided_by_expiry(
    simulator_connection, sender
):
    simulator_connection.expire_after_days = 3
    simulator_connection.save()
    envelope = sent_envelope(simulator_connection, sender)
    control.advance_clock(days=2)
    signing.refresh_from_docusign(envelope=envelope)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT  # not yet
    control.advance_clock(days=1, seconds=5)
    signing.refresh_from_docusign(envelope=envelope)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.VOIDED
    assert sim(envelope).voided_reason == EXPIRED_REASON


@pytest.mark.parametrize(
    ("schedule", "field", "message"),
    [
        (Schedule(10, 0, 5, 0), "reminder_delay_days", "before the first reminder"),
        (Schedule(None, 0, 5, 5), "expire_warn_days", "less than the expiry"),
        (Schedule(None, 0, 1000, 0), "expire_after_days", "from 1 to 999"),
        (Schedule(0, 0, 10, 0), "reminder_delay_days", "from 1 to 999"),
        (Schedule(None, 1000, 10, 0), "reminder_frequency_days", "from 0 to 999"),
    ],
)
def test_bad_schedules_are_refused_with_the_reason_and_nothing_changes(
    simulator_connection, sender, schedule, field, message
):
    envelope = sent_envelope(simulator_connection, sender)
    with pytest.raises(ValidationError) as refused:
        corrections.request_notification_change(envelope=envelope, actor=sender, schedule=schedule)
    assert message in " ".join(refused.value.message_dict[field])
    envelope.refresh_from_db()
    assert Schedule.of(envelope) == Schedule(None, 0, 120, 0)
    assert not EnvelopeChange.objects.exists()


def test_the_correct_view_opens_docusigns_page_which_changes_a_recipient(
    simulator_connection, sender, client
):
    envelope = sent_envelope(simulator_connection, sender)
    url = corrections.correct_view_url(
        envelope=envelope, actor=sender, return_url="https://app.example/back"
    )
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200
    recipient = sim(envelope).recipients.get()
    bad = client.post(f"/{path}", {f"name-{recipient.pk}": "Rita", f"email-{recipient.pk}": "nope"})
    assert "is not an email" in bad.content.decode()
    done = client.post(
        f"/{path}",
        {f"name-{recipient.pk}": "Rita", f"email-{recipient.pk}": "rita2@example.com"},
    )
    assert done["Location"] == "https://app.example/back?event=send"
    recipient.refresh_from_db()
    assert recipient.email == "rita2@example.com"
    # Single use, as DocuSign's.
    assert client.get(f"/{path}")["Location"].endswith("event=sessionEnd")
    assert envelope.events.get(kind="correct-view-opened").actor == sender
    # Back on our page: what was changed at DocuSign is copied into ours (one GET).
    client.force_login(sender)
    back = client.get(reverse("envelopes:correct-view-return", args=[envelope.pk]) + "?event=send")
    assert back.status_code == 302
    ours = envelope.recipients.get()
    assert ours.email == "rita2@example.com"
    learned = envelope.events.get(kind="corrected")
    assert learned.source == "docusign"
    assert "rita@example.com" in learned.detail


def test_a_change_whose_task_was_lost_is_done_by_the_sweep(
    simulator_connection, sender, monkeypatch
):
    from kombu.exceptions import OperationalError as BrokerError

    from envelopes import tasks
    from envelopes.tracking.sweeps import sweep_stuck_work

    envelope = sent_envelope(simulator_connection, sender)

    def broker_down(*args, **kwargs):
        raise BrokerError("broker down")

    monkeypatch.setattr(tasks.apply_envelope_change, "delay", broker_down)
    change = corrections.request_resend(envelope=envelope, actor=sender)
    change.refresh_from_db()
    assert change.status == EnvelopeChange.Status.PENDING
    monkeypatch.undo()
    assert sweep_stuck_work()["changes"] == 0  # too fresh: a live task may be on it
    later = timezone.now() + timedelta(minutes=10)
    assert sweep_stuck_work(now=later)["changes"] == 1
    change.refresh_from_db()
    assert change.status == EnvelopeChange.Status.DONE
    assert sim(envelope).recipients.get().notifications_sent == 2
