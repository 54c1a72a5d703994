"""The simulator's eSignature state: envelopes, recipients, documents, templates, faults
and behaviour (timing and limits)."""

import uuid

from django.db import models

from connections.fields import EncryptedTextField


def _guid() -> str:
    return str(uuid.uuid4())


class SimTemplate(models.Model):
    template_id = models.CharField(max_length=36, unique=True, default=_guid)
    account = models.ForeignKey("simulator.SimAccount", on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    email_subject = models.CharField(max_length=100, blank=True)
    # [{"documentId", "name", "fileExtension", "content" (text),
    #   "tabs": {"prefillTabs": {...}} (the sender's own tabs)}]
    documents = models.JSONField(default=list)
    # [{"roleName", "recipientId", "routingOrder", "recipientType" (a recipients list,
    #   default "signers"), "tabs": {"textTabs": [{"tabLabel", ...}], "listTabs": ...}}]
    roles = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class SimEnvelope(models.Model):
    envelope_id = models.CharField(max_length=36, unique=True, default=_guid)
    account = models.ForeignKey("simulator.SimAccount", on_delete=models.CASCADE)
    sender = models.ForeignKey("simulator.SimUser", on_delete=models.CASCADE)
    status = models.CharField(max_length=20, default="created")
    email_subject = models.CharField(max_length=100, blank=True)
    email_blurb = models.TextField(blank=True)
    template = models.ForeignKey(SimTemplate, null=True, blank=True, on_delete=models.SET_NULL)
    custom_fields = models.JSONField(default=dict)  # name -> value (text custom fields)
    event_notification = models.JSONField(default=dict, blank=True)
    voided_reason = models.CharField(max_length=200, blank=True)
    # Reminders and expiration as DocuSign stores them (the `notification` object, strings).
    notification = models.JSONField(default=dict, blank=True)
    expires = models.DateTimeField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True)
    delivered = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    declined = models.DateTimeField(null=True, blank=True)
    voided = models.DateTimeField(null=True, blank=True)
    status_changed = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["account", "status_changed"])]

    def __str__(self) -> str:
        return f"{self.envelope_id} ({self.status})"


class SimDocument(models.Model):
    envelope = models.ForeignKey(SimEnvelope, on_delete=models.CASCADE, related_name="documents")
    document_id = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    file_extension = models.CharField(max_length=10, default="pdf")
    content = models.BinaryField()
    order = models.PositiveIntegerField(default=1)
    tabs = models.JSONField(default=dict, blank=True)  # document-level tabs: prefillTabs

    def __str__(self) -> str:
        return self.name


class SimRecipient(models.Model):
    envelope = models.ForeignKey(SimEnvelope, on_delete=models.CASCADE, related_name="recipients")
    recipient_id = models.CharField(max_length=20)
    recipient_id_guid = models.CharField(max_length=36, default=_guid)
    kind = models.CharField(max_length=30, default="signers")  # the recipients' list it is in
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=100)
    routing_order = models.PositiveIntegerField(default=1)
    client_user_id = models.CharField(max_length=100, blank=True)
    role_name = models.CharField(max_length=100, blank=True)
    # In-person signers: DocuSign opens their session for the host named here.
    host_name = models.CharField(max_length=100, blank=True)
    host_email = models.CharField(max_length=100, blank=True)
    access_code = models.CharField(max_length=50, blank=True)
    # DocuSign's identityVerification as sent (workflowId, inputOptions with the phone
    # numbers the code may be texted to); empty: none.
    identity_verification = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, default="created")
    tabs = models.JSONField(default=dict)  # DocuSign's tabs object, values filled at signing
    sent = models.DateTimeField(null=True, blank=True)
    delivered = models.DateTimeField(null=True, blank=True)
    signed = models.DateTimeField(null=True, blank=True)
    declined = models.DateTimeField(null=True, blank=True)
    declined_reason = models.CharField(max_length=200, blank=True)
    # Each notification email sent to the recipient (first send, resend, correction).
    notifications_sent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["routing_order", "pk"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class SimSigningSession(models.Model):
    """A single-use recipient view URL (DocuSign's expire after 5 minutes)."""

    token = models.CharField(max_length=64, unique=True)
    recipient = models.ForeignKey(SimRecipient, on_delete=models.CASCADE)
    return_url = models.CharField(max_length=470)
    created = models.DateTimeField(auto_now_add=True)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"signing session for {self.recipient}"


class SimCorrectSession(models.Model):
    """A single-use correct view URL (valid 10 minutes, as DocuSign's)."""

    token = models.CharField(max_length=64, unique=True)
    envelope = models.ForeignKey(SimEnvelope, on_delete=models.CASCADE)
    return_url = models.CharField(max_length=470)
    created = models.DateTimeField(auto_now_add=True)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"correct session for {self.envelope.envelope_id}"


class SimTextMessage(models.Model):
    """A text message DocuSign would have sent (the phone authentication code): the outbox
    tests and people read, in the admin or with simulator.control.text_messages()."""

    session = models.ForeignKey(SimSigningSession, on_delete=models.CASCADE)
    phone = models.CharField(max_length=30)  # +<countryCode> <number>
    code = models.CharField(max_length=10)
    body = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"to {self.phone}: {self.body}"


class SimFault(models.Model):
    """The next `remaining` API requests (matching `operation` and `path_contains`) are delayed,
    then fail with `status` (≥ 400), lose their connection mid-answer, or go through."""

    status = models.PositiveSmallIntegerField(
        default=503, help_text="≥ 400: answer with this status. Below 400: answer normally."
    )
    remaining = models.PositiveIntegerField(default=1)
    operation = models.CharField(
        max_length=80,
        blank=True,
        help_text="A DocuSign operationId, e.g. Envelopes_PostEnvelopes; blank: any.",
    )
    path_contains = models.CharField(max_length=200, blank=True)
    delay_ms = models.PositiveIntegerField(default=0)
    drop_connection = models.BooleanField(
        default=False,
        help_text="Do the work, then close the connection half-way through the answer.",
    )
    created = models.DateTimeField(auto_now_add=True)
    # When the last call that took this fault began, and for which envelope (a create's
    # emailSubject): a benchmark can tell that a slow create is in flight, and whose.
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_for = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        what = "dropped" if self.drop_connection else str(self.status)
        return f"{self.remaining} x {what} on {self.operation or 'any'} '{self.path_contains}'"


class SimBehaviour(models.Model):
    """How slow, limited and unreliable the simulated DocuSign is (one row; blank: off)."""

    search_lag_seconds = models.FloatField(
        default=0, help_text="listStatusChanges finds an envelope only this long after creation."
    )
    slow_create_seconds = models.FloatField(
        default=0, help_text="Creates take this long before the envelope exists."
    )
    slow_create_percent = models.PositiveSmallIntegerField(
        default=100, help_text="Share of creates that are slow (0-100)."
    )
    unavailable_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Share of API calls answered 503 (0-100)."
    )
    drop_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Share of API calls whose connection drops mid-answer (0-100)."
    )
    token_lifetime_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Access tokens die after this many seconds although expires_in says 3600.",
    )
    hourly_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="API calls per hour (blank: SIMULATOR_HOURLY_LIMIT)."
    )
    hourly_limit_status = models.PositiveSmallIntegerField(
        default=429,
        choices=[(429, "429"), (400, "400 (as observed in production)")],
        help_text="HTTP status of HOURLY_APIINVOCATION_LIMIT_EXCEEDED.",
    )
    hourly_window_seconds = models.PositiveIntegerField(
        default=3600,
        help_text="How long the simulated 'hour' of the hourly limit lasts (shorten it to see "
        "the limit reset, with X-RateLimit-Reset saying when, within a benchmark).",
    )
    burst_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="API calls per 30 s (blank: SIMULATOR_BURST_LIMIT)."
    )
    envelope_poll_burst_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="GETs on one envelope per 30 s (blank: unlimited)."
    )
    envelope_poll_hourly_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="GETs on one envelope per hour (blank: unlimited)."
    )
    envelope_update_burst_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="PUTs on one envelope per 30 s (blank: unlimited)."
    )
    envelope_update_hourly_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="PUTs on one envelope per hour (blank: unlimited)."
    )
    clock_offset_seconds = models.FloatField(
        default=0,
        help_text="The simulator's clock runs this far ahead (expiry, reminders): lets a "
        "test or a demo see an envelope expire without waiting days.",
    )

    class Meta:
        verbose_name_plural = "sim behaviour"

    def __str__(self) -> str:
        return "Simulator behaviour"


class SimConnectConfig(models.Model):
    """An account-level Connect configuration (JSON SIM), with its HMAC keys."""

    MAX_HMAC_KEYS = 100  # "up to 100" per third-party write-ups; DocuSign's docs are silent

    account = models.ForeignKey("simulator.SimAccount", on_delete=models.CASCADE)
    name = models.CharField(max_length=100, default="Countersign")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, blank=True)  # empty: every event
    # One secret per line, encrypted at rest like Countersign's own secrets.
    hmac_secrets = EncryptedTextField(blank=True)
    enabled = models.BooleanField(default=True)
    # eventData.includeData "documents": every message carries the envelope's PDFs (base64
    # `PDFBytes` in envelopeSummary.envelopeDocuments); includeCertificateOfCompletion adds
    # the certificate to completed envelopes' messages.
    include_documents = models.BooleanField(default=False)
    include_certificate_of_completion = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"

    def secrets(self) -> list[str]:
        return [s for s in (self.hmac_secrets or "").splitlines() if s.strip()]


class SimConnectDelivery(models.Model):
    """One notification and its delivery attempts (DocuSign's Connect log)."""

    config = models.ForeignKey(SimConnectConfig, null=True, blank=True, on_delete=models.CASCADE)
    url = models.URLField(max_length=500)
    event = models.CharField(max_length=50)
    envelope_id = models.CharField(max_length=36)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event} for {self.envelope_id} → {self.url}"
