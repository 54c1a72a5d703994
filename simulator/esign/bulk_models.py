"""The simulator's Bulk Send v2 state: lists of copies, and batches being processed."""

import uuid

from django.db import models


def _guid() -> str:
    return str(uuid.uuid4())


class SimBulkList(models.Model):
    list_id = models.CharField(max_length=36, unique=True, default=_guid)
    account = models.ForeignKey("simulator.SimAccount", on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    copies = models.JSONField(default=list)  # bulkCopies as posted
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({len(self.copies)} copies)"


class SimBulkBatch(models.Model):
    """One send of a list: copies are made into envelopes over time, like DocuSign's queue."""

    batch_id = models.CharField(max_length=36, unique=True, default=_guid)
    account = models.ForeignKey("simulator.SimAccount", on_delete=models.CASCADE)
    sender = models.ForeignKey("simulator.SimUser", on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    list_id = models.CharField(max_length=36)
    list_name = models.CharField(max_length=100)
    envelope_or_template_id = models.CharField(max_length=36)
    copies = models.JSONField(default=list)  # the list's copies when it was sent
    processed = models.PositiveIntegerField(default=0)  # copies made into envelopes or failed
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # bulkErrors
    submitted = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.processed}/{len(self.copies)})"


class SimBulkEnvelope(models.Model):
    batch = models.ForeignKey(SimBulkBatch, on_delete=models.CASCADE, related_name="envelopes")
    envelope = models.OneToOneField("simulator.SimEnvelope", on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"{self.envelope_id} of batch {self.batch_id}"
