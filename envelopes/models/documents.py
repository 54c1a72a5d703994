"""Signed documents kept after completion (encrypted, with the certificate of completion)."""

from django.db import models

from connections.models import Connection


class SignedDocument(models.Model):
    """A completed envelope's signed document or certificate, kept encrypted in our storage.

    Keyed by DocuSign's envelope ID (not our Envelope row) so documents that arrive in a
    Connect message before the envelope's ID is saved are kept too. Written once: a later
    copy with different bytes never replaces it.
    """

    class Source(models.TextChoices):
        CONNECT = "connect", "Connect message"
        DOWNLOAD = "download", "Downloaded once from DocuSign"

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="signed_documents"
    )
    docusign_envelope_id = models.CharField(max_length=36)
    # DocuSign's documentId: "1", "2", …, "certificate", or "combined".
    document_id = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, help_text="DocuSign's type: content, summary, …")
    file = models.FileField(upload_to="signed/%Y/%m/", max_length=200)
    size = models.PositiveBigIntegerField(help_text="Bytes of the PDF before encryption.")
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["docusign_envelope_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "docusign_envelope_id", "document_id"],
                name="one_signed_document_per_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.docusign_envelope_id})"
