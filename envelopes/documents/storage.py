"""Uploaded documents encrypted at rest, with the same keys as encrypted fields.

The file on disk is a Fernet token; `Document.file.open()` gives back the plain content.
A document is at most ENVELOPES_MAX_UPLOAD_BYTES (20 MiB), so it is handled in memory."""

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from connections.fields import decrypt_bytes, encrypt_bytes


class EncryptedFileSystemStorage(FileSystemStorage):
    # Storage.save() and open() call these two; the stubs do not declare them.
    def _save(self, name: str, content: File) -> str:  # type: ignore[type-arg]
        content.seek(0)
        saved: str = super()._save(name, ContentFile(encrypt_bytes(content.read())))  # type: ignore[misc]
        return saved

    def _open(self, name: str, mode: str = "rb") -> File:  # type: ignore[type-arg]
        if mode != "rb":
            raise ValueError("Encrypted documents are opened for reading ('rb') only.")
        with super()._open(name, "rb") as handle:  # type: ignore[misc]
            token = handle.read()
        return ContentFile(decrypt_bytes(token), name=name)


def encrypted_storage() -> EncryptedFileSystemStorage:
    return EncryptedFileSystemStorage()
