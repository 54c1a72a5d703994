"""Envelopes, their recipients and uploaded documents, and our document templates."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Team
from connections.fields import EncryptedJSONField, EncryptedTextField
from connections.models import Connection
from envelopes.documents.storage import encrypted_storage
from envelopes.phones import masked


class DocumentTemplate(models.Model):
    """A Django template with named fields, rendered with data into an HTML document.

    Anchor strings in the body (e.g. `/sig1/`, `/date1/`) place signature and date tabs.
    """

    name = models.CharField(max_length=100, unique=True)
    body = models.TextField(help_text="Django template syntax; fields are {{ field_name }}.")
    # [{"name": "company", "label": "Company", "required": true}]
    fields = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_templates",
        help_text="Only this team's members may use it (blank: every sender).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Envelope(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        CREATED = "created", "Draft at DocuSign"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Viewed"
        SIGNED = "signed", "Signed, completing"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        VOIDED = "voided", "Voided"
        FAILED = "failed", "Failed"
        # One row of a bulk send, before DocuSign has made its envelope (envelopes.bulk.batches).
        BATCHED = "batched", "Queued in a bulk send"

    class Source(models.TextChoices):
        UPLOADS = "uploads", "Uploaded documents"
        TEMPLATE = "template", "DocuSign template"
        GENERATED = "generated", "Generated document"
        # Sent from DocuSign itself or another app; listed when the connection asks for it.
        OUTSIDE = "outside", "Sent outside Countersign"

    # The usual path, in order; DECLINED and VOIDED may end it at any step before the end.
    PROGRESS = (
        Status.QUEUED,
        Status.SENDING,
        Status.CREATED,
        Status.SENT,
        Status.DELIVERED,
        Status.SIGNED,
        Status.COMPLETED,
    )
    ENDINGS = frozenset({Status.DECLINED, Status.VOIDED})
    FINAL = frozenset({Status.COMPLETED, Status.DECLINED, Status.VOIDED, Status.FAILED})
    # At DocuSign and not finished: what polling watches for changes.
    OPEN_AT_DOCUSIGN = (Status.CREATED, Status.SENT, Status.DELIVERED, Status.SIGNED)
    OUT_FOR_SIGNATURE = frozenset({Status.SENT, Status.DELIVERED})
    # DocuSign voids only envelopes still out for signature: not drafts, not finished ones.
    VOIDABLE = OUT_FOR_SIGNATURE
    # Still in progress at DocuSign (a duplicate in one of these can still be voided).
    IN_PROGRESS_AT_DOCUSIGN = frozenset({Status.CREATED, Status.SENT, Status.DELIVERED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="envelopes")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="envelopes",
        help_text="Blank for an envelope sent outside Countersign.",
    )
    subject = models.CharField(max_length=100)
    message = models.TextField(blank=True, max_length=10000)
    source = models.CharField(max_length=20, choices=Source.choices)
    as_draft = models.BooleanField(default=False, help_text="Create at DocuSign without sending.")
    docusign_template_id = models.CharField(max_length=36, blank=True)
    docusign_template_name = models.CharField(max_length=100, blank=True)
    document_template = models.ForeignKey(
        DocumentTemplate, null=True, blank=True, on_delete=models.SET_NULL
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="envelopes"
    )
    template_data = EncryptedJSONField(default=dict, blank=True)  # personal data: encrypted
    docusign_envelope_id = models.CharField(max_length=36, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(max_length=100, blank=True)
    error_detail = models.TextField(blank=True)
    voided_reason = models.CharField(max_length=200, blank=True)
    # Sending is claimed by one worker at a time; a claim older than the lease is abandoned.
    send_attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a create was last sent to DocuSign: until it is known to have failed, DocuSign may
    # still make the envelope, so no second create before a look-up finds nothing for long
    # enough (see envelopes.sending.create.send_envelope).
    create_started_at = models.DateTimeField(null=True, blank=True)
    # A queued envelope waits until then (backoff, rate limit, create outcome still unknown).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A void asked for and not yet done at DocuSign (the sweep retries it).
    void_requested_at = models.DateTimeField(null=True, blank=True)
    # Its send or void waits for the connection (consent, setup, keys: envelopes.sending.waiting),
    # or for DocuSign's limit; the reason and the fix, shown on its page.
    waiting_since = models.DateTimeField(null=True, blank=True, db_index=True)
    waiting_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Reminders and expiration (DocuSign's `notification`), from the connection's defaults.
    reminder_delay_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reminder_frequency_days = models.PositiveSmallIntegerField(default=0)
    expire_after_days = models.PositiveSmallIntegerField(default=120)
    expire_warn_days = models.PositiveSmallIntegerField(default=0)
    bulk_batch = models.ForeignKey(
        "envelopes.BulkBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="envelopes",
    )
    bulk_row = models.PositiveIntegerField(null=True, blank=True, help_text="The CSV's line.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Keyset pagination of the list (envelopes/views/pagination.py), all and per sender.
            models.Index(fields=["-created_at", "-id"], name="envelope_newest_first"),
            models.Index(fields=["sender", "-created_at", "-id"], name="envelope_sender_newest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "docusign_envelope_id"],
                condition=~Q(docusign_envelope_id=""),
                name="one_row_per_docusign_envelope",
            )
        ]
        # add_envelope is "send (own) envelopes". Seeing is never acting: each is its own job.
        permissions = [
            ("view_team_envelopes", "Can see the team's envelopes"),
            ("act_on_team_envelopes", "Can void, resend and download the team's envelopes"),
            ("view_all_envelopes", "Can see every team's and sender's envelopes"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def is_outside(self) -> bool:
        """Sent outside Countersign: read-only here, except void and download."""
        return self.source == self.Source.OUTSIDE

    @property
    def not_yet_at_docusign(self) -> bool:
        """Queued or being sent: a worker still has to create it at DocuSign."""
        return self.status in (self.Status.QUEUED, self.Status.SENDING)

    @property
    def out_for_signature(self) -> bool:
        return self.status in self.OUT_FOR_SIGNATURE


class Recipient(models.Model):
    class Status(models.TextChoices):
        # DocuSign's recipient statuses that Countersign tracks.
        CREATED = "created", "Not sent yet"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Viewed"
        SIGNED = "signed", "Signed"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"

    PROGRESS = (Status.CREATED, Status.SENT, Status.DELIVERED, Status.SIGNED, Status.COMPLETED)
    ENDINGS = frozenset({Status.DECLINED})
    FINAL = frozenset({Status.COMPLETED, Status.DECLINED})

    class Kind(models.TextChoices):
        SIGNER = "signer", "Signer"
        CARBON_COPY = "carbon_copy", "Receives a copy"
        CERTIFIED_DELIVERY = "certified_delivery", "Must view (certified delivery)"
        IN_PERSON = "in_person", "Signs in person (you host)"
        AGENT = "agent", "Agent (names who signs)"
        EDITOR = "editor", "Editor (may change it)"

    # DocuSign's recipients lists, by kind.
    DOCUSIGN_LISTS = {
        Kind.SIGNER: "signers",
        Kind.IN_PERSON: "inPersonSigners",
        Kind.CARBON_COPY: "carbonCopies",
        Kind.CERTIFIED_DELIVERY: "certifiedDeliveries",
        Kind.AGENT: "agents",
        Kind.EDITOR: "editors",
    }

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="recipients")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SIGNER)
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=100)
    routing_order = models.PositiveSmallIntegerField(default=1)
    embedded = models.BooleanField(
        default=False, help_text="Signs inside this app rather than from DocuSign's email."
    )
    # An in-app signer is this app user: only they, logged in, open their signing session.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_recipients",
    )
    # An in-person signer signs on the device of this app user (the sender), who hosted; at
    # DocuSign the host is the connection's impersonated user (envelopes.sending.definitions).
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_recipients",
    )
    access_code = EncryptedTextField(
        blank=True, help_text="DocuSign asks the recipient for this code before the documents."
    )
    # Personal data: encrypted at rest, never logged. "+<country code> <number>".
    sms_phone = EncryptedTextField(
        blank=True,
        help_text="DocuSign texts a code to this number and asks for it before the documents.",
    )
    role_name = models.CharField(max_length=100, blank=True)
    recipient_id = models.CharField(max_length=10, help_text="DocuSign's recipientId.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["routing_order", "id"]
        permissions = [
            ("choose_any_signer", "Choose any active user as an in-app signer (any team)"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def authentication(self) -> str:
        """How DocuSign checks who this is before showing the documents, in words."""
        if self.sms_phone:
            return f"SMS code to {masked(self.sms_phone)}"
        return "Access code" if self.access_code else ""

    @property
    def awaiting_signature(self) -> bool:
        return self.status in (self.Status.SENT, self.Status.DELIVERED)

    @property
    def client_user_id(self) -> str:
        """Marks an embedded signer at DocuSign; stable and unguessable enough per envelope."""
        return f"countersign-{self.envelope_id}-{self.recipient_id}" if self.embedded else ""


class Document(models.Model):
    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="envelopes/%Y/%m/", storage=encrypted_storage)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=1)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def file_extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "pdf"
