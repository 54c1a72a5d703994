"""Uploaded documents encrypted at rest, with the same keys as encrypted fields.

The file on disk is a Fernet token; `Document.file.open()` gives back the plain content.
A document is at most ENVELOPES_MAX_UPLOAD_BYTES (20 MiB), so it is handled in memory."""

from cryptography.fernet import Fernet, InvalidToken
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from connections.fields import decrypt_bytes, encrypt_bytes, get_fernet, get_primary_fernet


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


def rotate_files() -> int:
    """Re-encrypt every stored document under the newest key; returns how many changed."""
    from envelopes.models import Document

    storage = FileSystemStorage()  # the raw files
    primary, fernet, rotated = get_primary_fernet(), get_fernet(), 0
    for name in Document.objects.exclude(file="").values_list("file", flat=True).iterator():
        with storage.open(name, "rb") as handle:
            token = handle.read()
        if _is_under(primary, token):
            continue
        new_token = fernet.rotate(token)
        with open(storage.path(name), "wb") as handle:
            handle.write(new_token)
        rotated += 1
    return rotated


def _is_under(key: Fernet, token: bytes) -> bool:
    try:
        key.decrypt(token)
    except InvalidToken:
        return False
    return True
