"""The DocuSign Connect receiver: verify, store once, acknowledge fast, apply in a task.

The hot path is one autocommit upsert per message (a redelivery bumps a counter), with no
Redis round trip per message (drain requests are throttled per process) and no connection
health-check query. Messages that carry documents (Connect's "Include Documents") are read
in chunks to a spooled file while their HMAC is computed, parsed incrementally, and each
document is encrypted into storage one at a time: a message is never held in memory whole
more than once, and large ones not at all.

Reference: https://developers.docusign.com/platform/webhooks/connect/validate/
Reference: https://developers.docusign.com/platform/webhooks/connect/json-sim-event-model/
"""

import base64
import hashlib
import hmac
import logging
import re
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import IO, Any, Protocol

import ijson
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from connections.models import Connection, connect_token_hash
from envelopes.documents import kept as documents
from envelopes.models import ConnectEvent, SignedDocument
from envelopes.tracking import connect_json
from envelopes.tracking.connect_json import BadMessage
from envelopes.tracking.drain import request_drain_soon

logger = logging.getLogger("countersign.connect")

_EVENT = re.compile(r"^[a-z][a-z-]{0,49}$")
IN_MEMORY_BYTES = 1024 * 1024  # larger messages are spooled to a temporary file
_READ_CHUNK = 256 * 1024


def _any_signature(digests: Iterable[bytes], headers: dict[str, str]) -> bool:
    given = [v for k, v in headers.items() if k.lower().startswith("x-docusign-signature-")]
    for digest in digests:
        expected = base64.b64encode(digest)
        if any(hmac.compare_digest(expected, value.strip().encode()) for value in given):
            return True
    return False


def identity(message: dict[str, Any]) -> str:
    data = message.get("data") or {}
    parts = [
        str(data.get("envelopeId", "")),
        str(message.get("event", "")),
        str(message.get("generatedDateTime", "")),
        str(data.get("recipientId", "")),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Receiver:
    """What the hot path needs of a connection: no private key, nothing to query per message."""

    connection_id: int
    name: str
    secrets: tuple[str, ...]

    def hmac_secrets(self) -> list[str]:
        return list(self.secrets)


_receivers: dict[str, tuple[float, Receiver]] = {}
RECEIVER_TTL = 30.0  # seconds a process keeps its copy; new HMAC keys apply within this


def receiver_for(token: str) -> Receiver:
    key = connect_token_hash(token)
    cached = _receivers.get(key)
    if cached and time.monotonic() - cached[0] < RECEIVER_TTL:
        return cached[1]
    found = (
        Connection.objects.only("id", "name", "connect_hmac_secrets")
        .filter(connect_token_hash=key)
        .first()
    )
    if found is None:
        raise Http404("No connection has this Connect URL.")
    receiver = Receiver(found.pk, found.name, tuple(found.hmac_secrets()))
    _receivers[key] = (time.monotonic(), receiver)
    return receiver


# --- Reading the body once --------------------------------------------------------------


class Readable(Protocol):
    def read(self, size: int) -> bytes: ...


class Body:
    """The raw message, read once in chunks, with each key's HMAC computed on the way."""

    def __init__(self, stream: Readable, length: int, secrets: list[str]) -> None:
        macs = [hmac.new(s.encode(), digestmod=hashlib.sha256) for s in secrets]
        self.size = length
        self.file: IO[bytes] | None = None
        self.data = b""
        if length <= IN_MEMORY_BYTES:
            self.data = stream.read(length)
            for mac in macs:
                mac.update(self.data)
        else:
            spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115
            remaining = length
            while remaining > 0:
                chunk = stream.read(min(_READ_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                spool.write(chunk)
                for mac in macs:
                    mac.update(chunk)
            self.file = spool
        self.digests = [mac.digest() for mac in macs]

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    def rewound(self) -> IO[bytes]:
        if self.file is None:
            raise RuntimeError("a small body has no file; parse its bytes")
        self.file.seek(0)
        return self.file


@dataclass(frozen=True)
class Message:
    body: dict[str, Any]  # without document content
    envelope_id: str
    event: str
    generated_at: str

    @property
    def summary(self) -> dict[str, Any]:
        summary = (self.body.get("data") or {}).get("envelopeSummary")
        return summary if isinstance(summary, dict) else {}


def parse(body: Body) -> tuple[Message, dict[str, Any] | None]:
    """The validated message, and the full parsed message when it was small enough to
    parse in one go (its documents are then taken from it)."""
    full: dict[str, Any] | None = None
    if body.file is None:
        full = connect_json.loads(body.data)
        message = connect_json.without_documents(full)
    else:
        message = connect_json.streamed_without_documents(body.rewound())
        connect_json.check_text(message)
    if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
        raise BadMessage("Not a DocuSign Connect JSON SIM message: 'data' is missing.")
    event = message.get("event")
    if not isinstance(event, str) or not _EVENT.match(event):
        raise BadMessage(
            "'event' must be a Connect event name such as envelope-completed "
            "(lower-case letters and hyphens, at most 50)."
        )
    raw_id = message["data"].get("envelopeId")
    try:
        envelope_id = str(uuid.UUID(str(raw_id))) if isinstance(raw_id, str) else ""
    except ValueError:
        envelope_id = ""
    if not envelope_id or len(raw_id) > 38:
        raise BadMessage("'data.envelopeId' must be a DocuSign envelope ID (a GUID).")
    generated = message.get("generatedDateTime", "")
    if not isinstance(generated, str) or len(generated) > 40:
        raise BadMessage("'generatedDateTime' must be a date-time string (at most 40 chars).")
    return Message(message, envelope_id, event, generated), (full if body.file is None else None)


# --- Storing ----------------------------------------------------------------------------


def hint_only(message: Message) -> Message:
    """What an unsigned message is stored as: anyone may have written the rest, and it is
    never used (see tracking.apply.prepare), so it is not kept. `identity` reads only these
    fields, so a redelivery is still recognised."""
    data = message.body["data"]
    hint: dict[str, Any] = {"envelopeId": message.envelope_id}
    recipient = data.get("recipientId")
    if isinstance(recipient, str | int) and len(str(recipient)) <= 100:
        hint["recipientId"] = recipient
    body = {"event": message.event, "generatedDateTime": message.generated_at, "data": hint}
    return Message(body, message.envelope_id, message.event, message.generated_at)


_UPSERT = """
INSERT INTO envelopes_connectevent AS e
    (connection_id, identity, event, docusign_envelope_id, generated_at, verified, body,
     received_at, unknown_envelope, deliveries, note, attempts, next_attempt_at,
     failure_reason, parked_at, discarded_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, 1, '', 0, NULL, '', NULL, NULL)
ON CONFLICT (connection_id, identity) DO UPDATE SET deliveries = e.deliveries + 1
RETURNING deliveries
"""


def upsert(receiver: Receiver, message: Message, *, verified: bool) -> bool:
    """One autocommit statement; True when the message is new (False: a redelivery).

    Django's per-request health check is skipped here (it costs a query per message); a
    pooled connection that died meanwhile is noticed by this statement, closed, and the
    statement runs once more on a fresh connection."""
    body_field = ConnectEvent._meta.get_field("body")
    for attempt in (1, 2):
        try:
            params = [
                receiver.connection_id,
                identity(message.body),
                message.event,
                message.envelope_id,
                message.generated_at,
                verified,
                body_field.get_db_prep_value(message.body, connection),
                timezone.now(),
            ]
            with connection.cursor() as cursor:
                cursor.execute(_UPSERT, params)
                row = cursor.fetchone()
            return bool(row and row[0] == 1)
        except (OperationalError, InterfaceError):
            if attempt == 2 or connection.in_atomic_block:
                raise
            connection.close()
    raise AssertionError("unreachable")


def _documents_of(full: dict[str, Any] | None, body: Body) -> Iterator[dict[str, Any]]:
    if full is not None:
        summary = (full.get("data") or {}).get("envelopeSummary") or {}
        items = summary.get("envelopeDocuments") if isinstance(summary, dict) else None
        yield from (d for d in items or [] if isinstance(d, dict))
        return
    prefix = "data.envelopeSummary.envelopeDocuments.item"
    for item in ijson.items(body.rewound(), prefix, use_float=True):
        if isinstance(item, dict):
            yield item


def keep_documents(
    receiver: Receiver, message: Message, full: dict[str, Any] | None, body: Body
) -> int:
    """Store the signed documents and certificate a verified completed message carries
    (documents already kept are left as they are); returns how many were stored."""
    if str(message.summary.get("status", "")).lower() != "completed":
        return 0
    have = documents.stored_ids(receiver.connection_id, message.envelope_id)
    kept = 0
    for item in _documents_of(full, body):
        content = item.get("PDFBytes") or item.get("documentBase64")
        document_id = str(item.get("documentId", ""))[:20]
        if not isinstance(content, str) or not content or not document_id or document_id in have:
            continue
        try:
            stored = documents.keep(
                connection_id=receiver.connection_id,
                docusign_envelope_id=message.envelope_id,
                document_id=document_id,
                name=str(item.get("name") or ""),
                kind=str(item.get("type") or ""),
                chunks=documents.base64_chunks(content),
                source=SignedDocument.Source.CONNECT,
            )
        except ValueError:  # not base64: keep the message, fetch the documents later
            logger.warning(
                "Connect message for %s: document %s is not base64; not kept",
                receiver.name,
                document_id,
            )
            continue
        kept += stored is not None
        have.add(document_id)
    return kept


@method_decorator(csrf_exempt, name="dispatch")
class ConnectWebhookView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        receiver = receiver_for(token)  # a query only on a cache miss (health-checked then)
        # See upsert(): the connection is checked by use, not by a query first.
        connection.health_check_done = True  # type: ignore[attr-defined]
        try:
            length = int(request.headers.get("Content-Length") or "")
        except ValueError:
            return JsonResponse({"error": "a Content-Length header is required"}, status=411)
        secrets = receiver.hmac_secrets()
        # Without HMAC keys anyone who knows the URL can post: such a message is only a hint
        # (an envelope id and an event), so it is capped small, refused before it is read.
        limit, name = (
            (settings.ENVELOPES_CONNECT_MAX_BYTES, "ENVELOPES_CONNECT_MAX_BYTES")
            if secrets
            else (
                settings.ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES,
                "ENVELOPES_CONNECT_UNSIGNED_MAX_BYTES",
            )
        )
        if length > limit:
            logger.warning("Connect message for %s refused: %d bytes", receiver.name, length)
            advice = "" if secrets else "; add HMAC keys to the connection for larger messages"
            return JsonResponse(
                {
                    "error": f"message too large ({length} bytes; the limit is "
                    f"{name} = {limit}{advice})"
                },
                status=413,
            )
        body = Body(request, length, secrets)
        try:
            return self._receive(request, receiver, body, secrets)
        finally:
            body.close()

    def _receive(
        self, request: HttpRequest, receiver: Receiver, body: Body, secrets: list[str]
    ) -> HttpResponse:
        verified = bool(secrets) and _any_signature(body.digests, dict(request.headers))
        if secrets and not verified:
            # Never log the signature, the expected value or the keys.
            reason = (
                "no signature header"
                if "X-DocuSign-Signature-1" not in request.headers
                else "signature mismatch"
            )
            logger.warning("Connect message for %s rejected: %s", receiver.name, reason)
            return JsonResponse({"error": "invalid signature"}, status=401)
        try:
            message, full = parse(body)
        except BadMessage as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        try:
            if verified:
                # Documents first: a drain started by another message may apply this one's
                # completion at once, and must find them kept rather than fetch them. Also on
                # a redelivery: documents already kept are never replaced.
                keep_documents(receiver, message, full, body)
            new = upsert(receiver, message if verified else hint_only(message), verified=verified)
        except DatabaseError:
            logger.exception("Connect message for %s not stored", receiver.name)
            return JsonResponse({"error": "not stored; send it again"}, status=503)
        if new:  # committed already (autocommit): on_commit runs it now
            transaction.on_commit(partial(request_drain_soon, receiver.connection_id))
        return HttpResponse(status=200)
