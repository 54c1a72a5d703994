"""A bulk send: many envelopes from one DocuSign template or generated document, sent
through DocuSign's Bulk Send (one list, one send) and tracked as one batch."""

import uuid

from django.conf import settings
from django.db import models

from accounts.models import Team
from connections.models import Connection


class BulkBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        SENDING = "sending", "Sending to DocuSign"
        SUBMITTED = "submitted", "DocuSign is creating the envelopes"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        TEMPLATE = "template", "DocuSign template"
        GENERATED = "generated", "Generated document"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="+")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_batches"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    name = models.CharField(max_length=100, help_text="The CSV's name, or what the sender typed.")
    subject = models.CharField(max_length=100)
    message = models.TextField(blank=True, max_length=10000)
    source = models.CharField(max_length=20, choices=Source.choices)
    docusign_template_id = models.CharField(max_length=36, blank=True)
    docusign_template_name = models.CharField(max_length=100, blank=True)
    document_template = models.ForeignKey(
        "envelopes.DocumentTemplate", null=True, blank=True, on_delete=models.SET_NULL
    )
    # The placeholder recipients of the draft: [{"role", "recipient_id", "routing_order",
    # "tab_labels"}]; each row's recipients fill them.
    roles = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    size = models.PositiveIntegerField(default=0)
    # DocuSign's ids, saved as each step succeeds (a step never runs twice once saved).
    draft_envelope_id = models.CharField(max_length=36, blank=True)
    list_id = models.CharField(max_length=36, blank=True)
    docusign_batch_id = models.CharField(max_length=36, blank=True)
    # When a create/send left for DocuSign: until found or known failed, its outcome is
    # unknown, and it is looked for before being repeated (see envelopes.bulk.batches).
    draft_started_at = models.DateTimeField(null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Waiting for the connection to work again (envelopes.sending.waiting); error_detail says why.
    waiting_since = models.DateTimeField(null=True, blank=True)
    # DocuSign's counts for the batch, as last read.
    queued_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=100, blank=True)
    error_detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "bulk batches"

    def __str__(self) -> str:
        return f"{self.name} ({self.size} envelopes, {self.get_status_display()})"

    @property
    def docusign_batch_name(self) -> str:
        """The batch's name at DocuSign: carries our id, so a lost answer can be found."""
        return f"countersign-{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.FAILED)
