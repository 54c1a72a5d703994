"""Bulk Send's queue in the simulator: a batch's copies become envelopes over time.

A background thread of the process that took the send makes them (SIMULATOR_BULK_START_SECONDS
after it, at SIMULATOR_BULK_COPIES_PER_SECOND); any API call of the account picks up a batch
whose thread is gone. A copy to an `.invalid` domain (RFC 2606: never deliverable, valid
syntax) fails here, as copies can at DocuSign after the batch was queued.
Reference: https://developers.docusign.com/docs/esign-rest-api/esign101/concepts/envelopes/bulk-send/
"""

import base64
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from simulator.esign import envelopes
from simulator.esign.wire import ApiError, ds_date
from simulator.models import SimAccount, SimBulkBatch, SimBulkEnvelope, SimEnvelope, SimTemplate

MAX_SECONDS_PER_CALL = 0.3  # making copies while answering one API call (keeps it prompt)


# Batch workers still running; tests stop them before their database goes (stop_workers).
_workers: set[threading.Thread] = set()
_workers_guard = threading.Lock()
_stopping = threading.Event()


def start_worker(batch_pk: int) -> None:
    thread = threading.Thread(target=_work, args=(batch_pk,), daemon=True)
    with _workers_guard:
        _workers.add(thread)
    thread.start()


def _work(batch_pk: int) -> None:
    """Make the batch's copies as they fall due, until none is left."""
    try:
        while not _stopping.is_set():
            batch = SimBulkBatch.objects.filter(pk=batch_pk).first()
            if batch is None or batch.processed >= len(batch.copies):
                return
            # Short transactions: copies (and their Connect messages) appear as they are made.
            if not _process(batch_pk, budget=1.0):
                _stopping.wait(0.2)
    finally:
        connections.close_all()  # this thread's own database connection
        with _workers_guard:
            _workers.discard(threading.current_thread())


def stop_workers(timeout: float = 15.0) -> int:
    """Stop every batch worker of this process (they resume on the account's next call)."""
    _stopping.set()
    try:
        with _workers_guard:
            threads = list(_workers)
        for thread in threads:
            thread.join(timeout)
        return len(threads)
    finally:
        _stopping.clear()


def process_due(account: SimAccount) -> int:
    """On any API call: make copies whose worker is gone (e.g. its process restarted);
    bounded, so the call stays prompt. Returns how many copies were handled."""
    start = timedelta(seconds=settings.SIMULATOR_BULK_START_SECONDS)
    pending = [
        b.pk
        for b in SimBulkBatch.objects.filter(
            account=account, submitted__lte=timezone.now() - start
        ).only("copies", "processed")
        if b.processed < len(b.copies)
    ]
    return sum(_process(pk, budget=MAX_SECONDS_PER_CALL) for pk in pending)


def _process(batch_pk: int, *, budget: float) -> int:
    rate = settings.SIMULATOR_BULK_COPIES_PER_SECOND
    start = timedelta(seconds=settings.SIMULATOR_BULK_START_SECONDS)
    handled = 0
    with transaction.atomic():
        batch = SimBulkBatch.objects.select_for_update(skip_locked=True).filter(pk=batch_pk).first()
        if batch is None:
            return 0  # another thread or request is making its copies
        elapsed = (timezone.now() - batch.submitted - start).total_seconds()
        due = min(len(batch.copies), int(elapsed * rate) + 1) if elapsed >= 0 else 0
        stop = time.monotonic() + budget
        while batch.processed < due and time.monotonic() < stop and not _stopping.is_set():
            _make_copy(batch, batch.copies[batch.processed])
            batch.processed += 1
            handled += 1
        batch.save(update_fields=["processed", "failed", "errors"])
    return handled


def _make_copy(batch: SimBulkBatch, copy: dict[str, Any]) -> None:
    emails = [str(r.get("email") or "") for r in copy.get("recipients") or []]
    try:
        undeliverable = [e for e in emails if e.lower().endswith(".invalid")]
        if undeliverable:
            raise ApiError(
                "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
                f"The email address {undeliverable[0]} cannot receive envelopes.",
            )
        with transaction.atomic():
            envelope = envelopes.create_envelope(
                account=batch.account, sender=batch.sender, body=_definition(batch, copy)
            )
            SimBulkEnvelope.objects.create(batch=batch, envelope=envelope)
    except ApiError as exc:
        batch.failed += 1
        batch.errors = [
            *batch.errors,
            {
                "created": ds_date(timezone.now()),
                "errorMessage": f"{exc.code}: {exc.message}",
                "recipientEmails": emails,
            },
        ]


def _definition(batch: SimBulkBatch, copy: dict[str, Any]) -> dict[str, Any]:
    """The envelope definition one copy stands for: the draft or template, personalised."""
    guid = batch.envelope_or_template_id
    given = {str(r.get("roleName") or r.get("recipientId")): r for r in copy["recipients"]}
    draft = SimEnvelope.objects.filter(account=batch.account, envelope_id=guid).first()
    fields = {str(f["name"]): str(f["value"]) for f in copy.get("customFields") or []}
    if draft is None:
        template = SimTemplate.objects.get(account=batch.account, template_id=guid)
        return {
            "templateId": guid,
            "status": "sent",
            "emailSubject": copy.get("emailSubject") or template.email_subject,
            "templateRoles": [
                {
                    "roleName": role,
                    # An in-person copy's host and signer, as a templateRole names them.
                    "name": r.get("hostName") or r["name"],
                    "email": r.get("hostEmail") or r["email"],
                    **({"inPersonSignerName": r["signerName"]} if r.get("signerName") else {}),
                    "tabs": {"textTabs": _tab_values(r)},
                }
                for role, r in given.items()
            ],
        }
    lists: dict[str, list[dict[str, Any]]] = {}
    for placeholder in draft.recipients.all():
        person = given.get(placeholder.role_name) or given.get(placeholder.recipient_id) or {}
        values = {t["tabLabel"]: t["value"] for t in _tab_values(person)}
        tabs = {
            kind: [{**t, "value": values.get(t.get("tabLabel"), t.get("value", ""))} for t in items]
            for kind, items in placeholder.tabs.items()
        }
        item: dict[str, Any] = {
            "recipientId": placeholder.recipient_id,
            "routingOrder": str(placeholder.routing_order),
            "roleName": placeholder.role_name,
            "name": person.get("name") or placeholder.name,
            "email": person.get("email") or placeholder.email,
            "tabs": tabs,
        }
        if person.get("clientUserId"):
            item["clientUserId"] = person["clientUserId"]
        if placeholder.kind == "inPersonSigners":
            # The copy's host and signer, or the draft's where the copy leaves them out.
            item["hostName"] = person.get("hostName") or placeholder.host_name
            item["hostEmail"] = person.get("hostEmail") or placeholder.host_email
            item["signerName"] = person.get("signerName") or placeholder.name
        lists.setdefault(placeholder.kind, []).append(item)
    custom = {**draft.custom_fields, **fields}
    return {
        "status": "sent",
        "emailSubject": copy.get("emailSubject") or draft.email_subject,
        "emailBlurb": copy.get("emailBlurb") or draft.email_blurb,
        "customFields": {"textCustomFields": [{"name": k, "value": v} for k, v in custom.items()]},
        "documents": [
            {
                "documentId": d.document_id,
                "name": d.name,
                "fileExtension": d.file_extension,
                "documentBase64": base64.b64encode(bytes(d.content)).decode(),
            }
            for d in draft.documents.order_by("order")
        ],
        "recipients": lists,
    }


def _tab_values(recipient: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"tabLabel": str(t["tabLabel"]), "value": str(t["initialValue"])}
        for t in recipient.get("tabs") or []
    ]
