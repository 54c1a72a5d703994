"""The DocuSign Connect receiver: verify, store once, acknowledge fast, apply in a task.

Reference: https://developers.docusign.com/platform/webhooks/connect/validate/
Reference: https://developers.docusign.com/platform/webhooks/connect/json-sim-event-model/
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from connections.models import Connection
from envelopes.models import ConnectEvent
from envelopes.tracking import request_drain

logger = logging.getLogger("countersign.connect")

_DOCUMENT_KEYS = {"documentBase64", "PDFBytes"}


def signature_matches(body: bytes, headers: dict[str, str], secrets: list[str]) -> bool:
    """Any X-DocuSign-Signature-N equal to the base64 HMAC-SHA256 of the body under any key."""
    given = [v for k, v in headers.items() if k.lower().startswith("x-docusign-signature-")]
    for secret in secrets:
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if any(hmac.compare_digest(expected, value.strip().encode()) for value in given):
            return True
    return False


def _without_documents(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_documents(v) for k, v in value.items() if k not in _DOCUMENT_KEYS}
    if isinstance(value, list):
        return [_without_documents(v) for v in value]
    return value


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
    cached = _receivers.get(token)
    if cached and time.monotonic() - cached[0] < RECEIVER_TTL:
        return cached[1]
    connection = get_object_or_404(
        Connection.objects.only("id", "name", "connect_hmac_secrets"), connect_token=token
    )
    receiver = Receiver(connection.pk, connection.name, tuple(connection.hmac_secrets()))
    _receivers[token] = (time.monotonic(), receiver)
    return receiver


@method_decorator(csrf_exempt, name="dispatch")
class ConnectWebhookView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        connection = receiver_for(token)
        length = int(request.headers.get("Content-Length") or 0)
        if length > settings.ENVELOPES_CONNECT_MAX_BYTES:
            logger.warning("Connect message for %s refused: %d bytes", connection.name, length)
            return JsonResponse({"error": "message too large"}, status=413)
        body = request.body
        secrets = connection.hmac_secrets()
        verified = bool(secrets) and signature_matches(body, dict(request.headers), secrets)
        if secrets and not verified:
            # Never log the signature, the expected value or the keys.
            reason = (
                "no signature header"
                if "X-DocuSign-Signature-1" not in request.headers
                else "signature mismatch"
            )
            logger.warning("Connect message for %s rejected: %s", connection.name, reason)
            return JsonResponse({"error": "invalid signature"}, status=401)
        try:
            message = json.loads(body)
            envelope_id = str(message["data"]["envelopeId"])
            event = str(message["event"])
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"error": "not a DocuSign Connect JSON message"}, status=400)
        self._store(connection, message, envelope_id, event, verified)
        return HttpResponse(status=200)

    @staticmethod
    def _store(
        connection: Receiver,
        message: dict[str, Any],
        envelope_id: str,
        event: str,
        verified: bool,
    ) -> None:
        key = identity(message)
        try:
            with transaction.atomic():
                ConnectEvent.objects.create(
                    connection_id=connection.connection_id,
                    identity=key,
                    event=event,
                    docusign_envelope_id=envelope_id.lower(),
                    generated_at=str(message.get("generatedDateTime", ""))[:40],
                    verified=verified,
                    body=_without_documents(message),
                )
        except IntegrityError:  # a redelivery: acknowledge, change nothing
            ConnectEvent.objects.filter(identity=key).update(deliveries=F("deliveries") + 1)
            return
        transaction.on_commit(partial(request_drain, connection.connection_id))
