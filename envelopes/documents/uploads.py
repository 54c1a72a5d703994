"""Checks on uploaded documents: how many, how large, and what they really are."""

import hashlib
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

# DocuSign converts these to PDF; each is recognised by its content, not its name.
KINDS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "txt": "text/plain",
}


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


def _sniff(head: bytes, upload: UploadedFile) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return "html" if "<" in text and ">" in text and "</" in text else "txt"


def _mib(size: int) -> str:
    """Sizes in MiB, as the limit is set (20 MiB = 20 * 1024 * 1024 bytes)."""
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MiB"


def check_uploads(uploads: list[UploadedFile]) -> list[CheckedUpload]:
    max_count = settings.ENVELOPES_MAX_UPLOADS
    max_bytes = settings.ENVELOPES_MAX_UPLOAD_BYTES
    if len(uploads) > max_count:
        raise ValidationError(f"Attach at most {max_count} documents.", code="too_many")
    checked = []
    for upload in uploads:
        name = upload.name or "document"
        if upload.size is not None and upload.size > max_bytes:
            raise ValidationError(
                f"{name} is {_mib(upload.size)}; the limit is {_mib(max_bytes)}.",
                code="too_large",
            )
        upload.seek(0)
        content = upload.read()
        if not content:
            raise ValidationError(f"{name} is empty.", code="empty")
        kind = _sniff(content[:2048], upload)
        if kind is None:
            raise ValidationError(
                f"{name} is not a PDF, Word (.docx), HTML or plain-text document.",
                code="type",
            )
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in ("htm", kind):
            name = f"{name.rsplit('.', 1)[0] if extension else name}.{kind}"
        upload.seek(0)
        checked.append(
            CheckedUpload(
                upload, name, KINDS[kind], len(content), hashlib.sha256(content).hexdigest()
            )
        )
    return checked
