"""What happens to an envelope over time: its history, changes asked of DocuSign, the Connect
messages stored for it, and the polling cursor per connection."""

from django.conf import settings
from django.db import models

from connections.fields import EncryptedJSONField
from connections.models import Connection
from envelopes.models.envelopes import Envelope, Recipient


class EnvelopeEvent(models.Model):
    class Source(models.TextChoices):
        APP = "app", "Countersign"
        DOCUSIGN = "docusign", "DocuSign"

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=50)
    status = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.APP)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The app user who did it (e.g. who opened a signing session).",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class EnvelopeChange(models.Model):
    """A change to an envelope in flight asked for by a person, done at DocuSign by a worker:
    resend, a recipient's correction, new reminder/expiry settings. Ours changes only once
    DocuSign accepted it; a refusal stays here (and on the page) with DocuSign's reason."""

    class Kind(models.TextChoices):
        RESEND = "resend", "Resend to recipients who have not acted"
        CORRECT = "correct", "Correct a recipient"
        NOTIFICATION = "notification", "Change reminders and expiration"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for DocuSign"
        DONE = "done", "Done"
        FAILED = "failed", "Refused"

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    # What to change: {"name", "email", "user_id"} or the four notification numbers.
    payload = EncryptedJSONField(default=dict, blank=True)  # names and emails: encrypted
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # DocuSign's retryable answers so far (our own database or broker failing never counts).
    attempts = models.PositiveSmallIntegerField(default=0)
    # Waiting for the connection to work again (envelopes.sending.waiting): why, and the fix.
    waiting_since = models.DateTimeField(null=True, blank=True)
    waiting_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class ConnectEvent(models.Model):
    """One DocuSign Connect message, stored once (redeliveries are recognised)."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="connect_events"
    )
    identity = models.CharField(max_length=64)  # sha256 of DocuSign's event identity
    event = models.CharField(max_length=50)
    docusign_envelope_id = models.CharField(max_length=36, db_index=True)
    generated_at = models.CharField(max_length=40, blank=True)
    verified = models.BooleanField(help_text="Signed with one of the connection's HMAC keys.")
    body = models.JSONField(help_text="The message, without document content.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    unknown_envelope = models.BooleanField(default=False)
    deliveries = models.PositiveIntegerField(default=1)
    note = models.CharField(max_length=100, blank=True)
    # Per-message outcomes of the drain: a transient failure waits until next_attempt_at; a
    # permanent one parks the message (kept, shown to staff, who retry or discard it).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    parked_at = models.DateTimeField(null=True, blank=True)
    discarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # Per connection: a message posted to another connection's URL first must not
            # turn the real delivery into a "redelivery".
            models.UniqueConstraint(
                fields=["connection", "identity"], name="one_connect_event_per_connection"
            )
        ]
        indexes = [
            # What the drain reads: a connection's messages still to apply, oldest first.
            models.Index(
                fields=["connection", "received_at"],
                condition=models.Q(processed_at__isnull=True, parked_at__isnull=True),
                name="connect_event_to_apply",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.docusign_envelope_id}"


class SyncCursor(models.Model):
    """Where polling listStatusChanges got to, per connection."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="sync_cursor"
    )
    synced_until = models.DateTimeField()
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # Envelopes the last listing of the account found carrying `countersign_id` that the
    # reconciliation left alone (envelopes.sending.reconciliation): another installation's or older
    # code's, and ours naming no row here. Shown on the connection page.
    left_not_ours = models.PositiveIntegerField(default=0)
    left_no_row = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.connection} synced until {self.synced_until:%Y-%m-%d %H:%M}"
