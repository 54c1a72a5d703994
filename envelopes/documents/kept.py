"""Signed documents kept once: encrypted at rest in Django's storage, served from there.

A completed envelope never changes, so its signed documents and certificate are fetched
(or taken from a verified Connect message) once and every later download costs no DocuSign
call. Files are written as lines of Fernet tokens, one per 256 KiB of PDF, with the same
FIELD_ENCRYPTION_KEYS as the other secrets (the newest key encrypts, every key decrypts):
neither writing nor reading ever holds a whole document in memory.
"""

import base64
import hashlib
import logging
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.docusign import esignature
from connections.fields import (
    get_fernet,
    is_under_primary,
)
from connections.services import get_client
from envelopes.models import (
    Document,
    Envelope,
    SignedDocument,
)

logger = logging.getLogger("countersign.envelopes")

CHUNK = 256 * 1024  # plaintext bytes per Fernet token (encrypting one briefly takes ~7x)
_B64_CHUNK = CHUNK // 3 * 4  # base64 characters that decode to at most CHUNK bytes


@dataclass(frozen=True)
class Written:
    name: str  # the storage name
    size: int
    sha256: str


def write_encrypted(chunks: Iterable[bytes]) -> Written:
    """Encrypt chunks into a new storage file; the plaintext's size and SHA-256 come back."""
    fernet = get_fernet()
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:  # on disk: never the whole document in memory
        for chunk in _rechunk(chunks):
            digest.update(chunk)
            size += len(chunk)
            spool.write(fernet.encrypt(chunk) + b"\n")
        spool.seek(0)
        path = f"signed/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf.fernet"
        name = default_storage.save(path, File(spool, name=path))
    return Written(name=name, size=size, sha256=digest.hexdigest())


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """About CHUNK bytes at a time, whatever size the source gives (64 KiB from HTTP)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= CHUNK:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def base64_chunks(text: str) -> Iterator[bytes]:
    """Decode a (large) base64 string piece by piece; whitespace-free, as DocuSign sends it."""
    for start in range(0, len(text), _B64_CHUNK):
        yield base64.b64decode(text[start : start + _B64_CHUNK], validate=True)


def _tokens(document: SignedDocument) -> Iterator[bytes]:
    with default_storage.open(document.file.name, "rb") as stored:
        for line in stored:
            if line.strip():
                yield line.strip()


def read_decrypted(document: SignedDocument) -> Iterator[bytes]:
    fernet = get_fernet()
    for token in _tokens(document):
        yield fernet.decrypt(token)


def stored_ids(connection_id: int, docusign_envelope_id: str) -> set[str]:
    return set(
        SignedDocument.objects.filter(
            connection_id=connection_id, docusign_envelope_id=docusign_envelope_id.lower()
        ).values_list("document_id", flat=True)
    )


def keep(
    *,
    connection_id: int,
    docusign_envelope_id: str,
    document_id: str,
    name: str,
    kind: str,
    chunks: Iterable[bytes],
    source: str,
) -> SignedDocument | None:
    """Store one document unless it is already kept (the first copy wins, whatever a
    redelivered or late message carries); None when it was already there."""
    envelope_id = docusign_envelope_id.lower()
    existing = SignedDocument.objects.filter(
        connection_id=connection_id, docusign_envelope_id=envelope_id, document_id=document_id
    ).first()
    if existing is not None:
        return None
    written = write_encrypted(chunks)
    try:
        with transaction.atomic():
            return SignedDocument.objects.create(
                connection_id=connection_id,
                docusign_envelope_id=envelope_id,
                document_id=document_id[:20],
                name=name[:200] or f"document-{document_id}.pdf",
                kind=kind[:20],
                file=written.name,
                size=written.size,
                sha256=written.sha256,
                source=source,
            )
    except IntegrityError:  # a concurrent delivery stored it first: keep theirs
        default_storage.delete(written.name)
        return None


def rotate_all() -> int:
    """Re-encrypt every kept document not wholly under the newest key; returns how many.
    The new file is written before the row points at it, then the old one is deleted."""
    fernet = get_fernet()
    rotated = 0
    for document in SignedDocument.objects.order_by("pk").iterator():
        if all(is_under_primary(token) for token in _tokens(document)):
            continue
        written = write_encrypted(fernet.decrypt(token) for token in _tokens(document))
        old = document.file.name
        SignedDocument.objects.filter(pk=document.pk).update(file=written.name)
        default_storage.delete(old)
        rotated += 1
    return rotated


def rotate_files() -> int:
    """Re-encrypt every stored document under the newest key; returns how many changed."""
    storage = FileSystemStorage()  # the raw files
    fernet, rotated = get_fernet(), 0
    for name in Document.objects.exclude(file="").values_list("file", flat=True).iterator():
        with storage.open(name, "rb") as handle:
            token = handle.read()
        if is_under_primary(token):
            continue
        new_token = fernet.rotate(token)
        with open(storage.path(name), "wb") as handle:
            handle.write(new_token)
        rotated += 1
    return rotated


def stored_documents(envelope: Envelope) -> list[SignedDocument]:
    """The signed documents kept for a completed envelope (none before completion)."""
    if envelope.status != Envelope.Status.COMPLETED or not envelope.docusign_envelope_id:
        return []
    return list(
        SignedDocument.objects.filter(
            connection_id=envelope.connection_id,
            docusign_envelope_id=envelope.docusign_envelope_id.lower(),
        )
    )


def keep_signed_documents(*, envelope: Envelope) -> int:
    """Keep a completed envelope's signed documents with the certificate; DocuSign calls
    spent: 0 when they are already kept (e.g. from Connect), else 1 (the combined PDF with
    the certificate of completion, in one request)."""
    if stored_documents(envelope):
        return 0
    _fetch_and_keep(envelope, COMBINED, interactive=False)
    return 1


COMBINED = "combined"


def _fetch_and_keep(
    envelope: Envelope, document_id: str, *, interactive: bool
) -> SignedDocument | None:
    params = {"certificate": "true"} if document_id == COMBINED else None
    _, chunks = esignature.download_document(
        get_client(envelope.connection, interactive=interactive),
        envelope.docusign_envelope_id,
        document_id,
        params=params,
    )
    names = {COMBINED: "Signed documents with certificate.pdf", "certificate": "Certificate.pdf"}
    return keep(
        connection_id=envelope.connection_id,
        docusign_envelope_id=envelope.docusign_envelope_id,
        document_id=document_id,
        name=names.get(document_id, f"Document {document_id}.pdf"),
        kind="summary" if document_id == "certificate" else "content",
        chunks=chunks,
        source=SignedDocument.Source.DOWNLOAD,
    )


def download(*, envelope: Envelope, document_id: str) -> tuple[str, Iterator[bytes]]:
    """A document, `combined` or `certificate`. A completed envelope's are served from our
    storage (fetched once if not kept yet); any other envelope's are streamed from DocuSign,
    since they can still change."""
    if envelope.status != Envelope.Status.COMPLETED:
        return esignature.download_document(
            get_client(envelope.connection, interactive=True),
            envelope.docusign_envelope_id,
            document_id,
        )
    kept = next((d for d in stored_documents(envelope) if d.document_id == document_id), None)
    if kept is None:
        _fetch_and_keep(envelope, document_id, interactive=True)
        kept = next(d for d in stored_documents(envelope) if d.document_id == document_id)
    return "application/pdf", read_decrypted(kept)
