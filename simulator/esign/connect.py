"""Connect: the simulator POSTs DocuSign's JSON SIM notifications on each status change.

Each message is signed with every HMAC key of the configuration (`X-DocuSign-Signature-1…N`:
base64 HMAC-SHA256 of the raw body) and delivered from a background thread, retried with
backoff until acknowledged with a 2xx.
Reference: https://developers.docusign.com/platform/webhooks/connect/json-sim-event-model/
Reference: https://developers.docusign.com/platform/webhooks/connect/validate/
"""

import base64
import hashlib
import hmac
import json
import logging
import threading
from functools import partial
from typing import Any

import requests
from django.db import connections, transaction
from django.utils import timezone

from simulator.esign import documents
from simulator.esign.serializers import envelope_json
from simulator.esign.wire import ds_date
from simulator.models import SimConnectConfig, SimConnectDelivery, SimEnvelope, SimRecipient

logger = logging.getLogger("simulator.connect")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def envelope_documents(envelope: SimEnvelope, *, certificate: bool) -> list[dict[str, Any]]:
    """What "Include Documents" adds: each document's PDF as base64 `PDFBytes`, and the
    certificate of completion once the envelope is completed (if that was asked for)."""
    items = []
    for doc in envelope.documents.order_by("order"):
        name, content = documents.render(envelope, doc.document_id)
        items.append(
            {
                "documentId": doc.document_id,
                "name": name,
                "type": "content",
                "order": str(doc.order),
                "PDFBytes": base64.b64encode(content).decode(),
            }
        )
    if certificate and envelope.status == "completed":
        name, content = documents.render(envelope, "certificate")
        items.append(
            {
                "documentId": "certificate",
                "name": name,
                "type": "summary",
                "order": "999",
                "PDFBytes": base64.b64encode(content).decode(),
            }
        )
    return items


def payload(
    envelope: SimEnvelope,
    event: str,
    recipient: SimRecipient | None,
    config_id: int,
    *,
    include_documents: bool = False,
    include_certificate: bool = False,
) -> bytes:
    summary = envelope_json(envelope, {"recipients", "custom_fields"})
    if include_documents:
        summary["envelopeDocuments"] = envelope_documents(envelope, certificate=include_certificate)
    data: dict[str, Any] = {
        "accountId": envelope.account.account_id,
        "userId": envelope.sender.user_id,
        "envelopeId": envelope.envelope_id,
        "envelopeSummary": summary,
    }
    if recipient is not None:
        data["recipientId"] = recipient.recipient_id
    message = {
        "event": event,
        "apiVersion": "v2.1",
        "uri": (
            f"/restapi/v2.1/accounts/{envelope.account.account_id}/envelopes/{envelope.envelope_id}"
        ),
        "retryCount": 0,
        "configurationId": config_id,
        "generatedDateTime": ds_date(timezone.now()),
        "data": data,
    }
    return json.dumps(message).encode()


def publish(envelope: SimEnvelope, event: str, recipient: SimRecipient | None = None) -> None:
    """Queue the event for every matching configuration and the envelope's own listener."""
    targets: list[tuple[SimConnectConfig | None, str, list[str], bool, bool]] = []
    for config in SimConnectConfig.objects.filter(account=envelope.account, enabled=True):
        if not config.events or event in config.events:
            targets.append(
                (
                    config,
                    config.url,
                    config.secrets(),
                    config.include_documents,
                    config.include_certificate_of_completion,
                )
            )
    notification = envelope.event_notification or {}
    if notification.get("url"):
        wanted = [
            e.get("envelopeEventStatusCode", e) if isinstance(e, dict) else e
            for e in notification.get("events") or []
        ]
        if not wanted or event in wanted:
            account_keys = [
                s
                for c in SimConnectConfig.objects.filter(account=envelope.account)
                for s in c.secrets()
            ]
            include_hmac = _true(notification.get("includeHMAC"))
            targets.append(
                (
                    None,
                    str(notification["url"]),
                    account_keys if include_hmac else [],
                    _true(notification.get("includeDocuments")),
                    _true(notification.get("includeCertificateOfCompletion")),
                )
            )
    deliveries = []
    for target, url, secrets, with_documents, with_certificate in targets:
        body = payload(
            envelope,
            event,
            recipient,
            target.pk if target else 0,
            include_documents=with_documents,
            include_certificate=with_certificate,
        )
        delivery = SimConnectDelivery.objects.create(
            config=target,
            url=url,
            event=event,
            envelope_id=envelope.envelope_id,
            body=body.decode(),
        )
        deliveries.append((delivery.pk, secrets))
    for pk, secrets in deliveries:
        transaction.on_commit(partial(_start, pk, secrets))


def _true(value: Any) -> bool:
    return str(value or "false").lower() == "true"  # DocuSign's booleans are strings


# Delivery threads still running, and a switch that cuts their retries short: a test
# (or a shutdown) calls `stop_deliveries` so no delivery outlives it.
_running: set[threading.Thread] = set()
_running_guard = threading.Lock()
_stopping = threading.Event()


def _start(delivery_pk: int, secrets: list[str]) -> None:
    thread = threading.Thread(target=_deliver_and_close, args=(delivery_pk, secrets), daemon=True)
    with _running_guard:
        _running.add(thread)
    thread.start()


def _deliver_and_close(delivery_pk: int, secrets: list[str]) -> None:
    try:
        deliver(delivery_pk, secrets)
    finally:
        connections.close_all()  # this thread's own database connection
        with _running_guard:
            _running.discard(threading.current_thread())


def stop_deliveries(timeout: float = 15.0) -> int:
    """Stop retrying, wait for deliveries in flight to finish; returns how many were
    waited for. New deliveries may start again afterwards."""
    _stopping.set()
    try:
        with _running_guard:
            threads = list(_running)
        for thread in threads:
            thread.join(timeout)
        return len(threads)
    finally:
        _stopping.clear()


def deliver(
    delivery_pk: int, secrets: list[str], *, attempts: int = 4, first_delay: float = 0.5
) -> bool:
    """POST until a 2xx, with exponential backoff; the retryCount field counts retries."""
    delivery = SimConnectDelivery.objects.get(pk=delivery_pk)
    message = json.loads(delivery.body)
    for attempt in range(attempts):
        message["retryCount"] = attempt
        body = json.dumps(message).encode()
        headers = {"Content-Type": "application/json"}
        for index, secret in enumerate(secrets, start=1):
            headers[f"X-DocuSign-Signature-{index}"] = sign(body, secret)
        status: int | None
        try:
            status = requests.post(delivery.url, data=body, headers=headers, timeout=10).status_code
        except requests.RequestException as exc:
            logger.info("Connect delivery to %s failed: %s", delivery.url, type(exc).__name__)
            status = None
        delivery.attempts, delivery.last_status = attempt + 1, status
        delivery.delivered = status is not None and 200 <= status < 300
        delivery.save(update_fields=["attempts", "last_status", "delivered"])
        if delivery.delivered or _stopping.wait(first_delay * 2**attempt):
            return delivery.delivered
    return False
