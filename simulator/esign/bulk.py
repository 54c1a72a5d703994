"""Bulk Send v2 in the simulator: lists, sends, batches that become envelopes over time.

As at DocuSign, a send queues the whole batch or nothing; copies then become envelopes over
time (SIMULATOR_BULK_START_SECONDS after the send, at SIMULATOR_BULK_COPIES_PER_SECOND), made
by a background thread of the process that took the send, and by any later API call of the
account should that process have gone. A copy can still fail then: an address at an
`.invalid` domain (RFC 2606: never deliverable) passes the list's syntax check but fails
when its envelope is made, and is reported in the batch's `failed` and `bulkErrors`.
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/
"""

import base64
import threading
import time
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from simulator.esign import envelopes
from simulator.esign.api import api_view
from simulator.esign.serializers import envelope_json
from simulator.esign.status_changes import include_param, int_param
from simulator.esign.wire import ApiError, ds_date, json_body
from simulator.models import (
    SimAccount,
    SimBulkBatch,
    SimBulkEnvelope,
    SimBulkList,
    SimEnvelope,
    SimTemplate,
    SimUser,
)

MAX_COPIES = 1000  # per list and per send (DocuSign's default account setting)
MAX_QUEUED = 2000  # envelopes waiting to be made, per account
MAX_SECONDS_PER_CALL = 0.3  # making copies while answering one API call (keeps it prompt)


def _error(code: str, message: str) -> ApiError:
    return ApiError(code, message)


# --- lists ------------------------------------------------------------------------------


def _check_copies(copies: Any) -> list[dict[str, Any]]:
    """DocuSign's list checks (BULK_SEND_* codes), strictest reading."""
    if not isinstance(copies, list):
        raise _error("INVALID_REQUEST_BODY", "bulkCopies must be an array.")
    if len(copies) > MAX_COPIES:
        raise _error(
            "BULK_SEND_MAX_COPIES_EXCEEDED",
            f"A bulk sending list can have at most {MAX_COPIES} copies.",
        )
    by_role = by_id = False
    for copy in copies:
        roles: set[str] = set()
        for recipient in copy.get("recipients") or []:
            role, rid = recipient.get("roleName"), recipient.get("recipientId")
            if role and rid:
                raise _error(
                    "BULK_SEND_CANNOT_USE_BOTH_ROLE_AND_ID_ON_SAME_RECIPIENT",
                    "A recipient has both a roleName and a recipientId.",
                )
            if not role and not rid:
                raise _error("BULK_SEND_RECIPIENT_ID_REQUIRED", "A recipient has no recipientId.")
            by_role, by_id = by_role or bool(role), by_id or bool(rid)
            key = str(role or rid)
            if key in roles:
                raise _error("BULK_SEND_ROLE_NAMES_MUST_BE_UNIQUE", f"Role {key} is used twice.")
            roles.add(key)
            if not recipient.get("name"):
                raise _error("BULK_SEND_RECIPIENT_NAME_REQUIRED", f"Recipient {key} has no name.")
            email = str(recipient.get("email") or "")
            if not email:
                raise _error(
                    "BULK_SEND_EMAIL_ADDRESS_REQUIRED_FOR_EMAIL_RECIPIENT",
                    f"Recipient {key} has no email address.",
                )
            try:
                validate_email(email)
            except ValidationError:
                raise _error(
                    "BULK_SEND_EMAIL_ADDRESS_NOT_VALID",
                    f"Recipient {key} specifies email address {email}, which is not a valid "
                    "email address.",
                ) from None
            _check_named(recipient.get("tabs") or [], "tabLabel", "initialValue", "TAB")
        _check_named(copy.get("customFields") or [], "name", "value", "ENVELOPE_CUSTOM_FIELD")
        if len(str(copy.get("emailSubject") or "")) > 100:
            raise _error("EMAIL_SUBJECT_TOO_LONG", "The email subject is over 100 characters.")
    if by_role and by_id:
        raise _error(
            "BULK_SEND_CANNOT_USE_BOTH_ROLE_AND_ID_IN_SAME_LIST",
            "A list matches recipients either by roleName or by recipientId, not both.",
        )
    return copies


def _check_named(items: list[dict[str, Any]], key: str, value: str, what: str) -> None:
    names = [item.get(key) for item in items]
    if any(not n for n in names):
        label = "TAB_LABEL" if what == "TAB" else f"{what}_NAME"
        raise _error(f"BULK_SEND_{label}_REQUIRED", f"A {key} is missing.")
    if len(names) != len(set(names)):
        plural = "TAB_LABELS" if what == "TAB" else f"{what}_NAME"
        raise _error(f"BULK_SEND_{plural}_MUST_BE_UNIQUE", f"A {key} is used twice.")
    if any(item.get(value) is None for item in items):
        raise _error(f"BULK_SEND_{what}_VALUE_REQUIRED", f"A {value} is missing (null).")


def _list(account: SimAccount, list_id: str) -> SimBulkList:
    found = SimBulkList.objects.filter(account=account, list_id=list_id.lower()).first()
    if found is None:
        raise _error(
            "BULK_SEND_LIST_NOT_FOUND",
            f"Bulk Sending list {list_id} does not exist or you do not have permission to "
            "access it.",
        )
    return found


def _list_json(bulk_list: SimBulkList) -> dict[str, Any]:
    return {"listId": bulk_list.list_id, "name": bulk_list.name, "bulkCopies": bulk_list.copies}


@api_view
def lists(request: HttpRequest, *, account: SimAccount, user: SimUser) -> HttpResponse:
    if request.method == "POST":
        # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/createbulksendlist/
        body = json_body(request)
        name = str(body.get("name") or "").strip()
        if not name:
            raise _error("INVALID_REQUEST_BODY", "A bulk sending list needs a name.")
        created = SimBulkList.objects.create(
            account=account, name=name[:100], copies=_check_copies(body.get("bulkCopies") or [])
        )
        return JsonResponse(_list_json(created), status=201)
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendlists/
    summaries = [
        {"bulkSendListId": item.list_id, "name": item.name, "createdDate": ds_date(item.created)}
        for item in SimBulkList.objects.filter(account=account).order_by("created")
    ]
    return JsonResponse({"bulkListSummaries": summaries})


@api_view
def list_item(
    request: HttpRequest, *, account: SimAccount, user: SimUser, list_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendlist/
    return JsonResponse(_list_json(_list(account, list_id)))


# --- send ---------------------------------------------------------------------------------


def _target(account: SimAccount, guid: str) -> SimEnvelope | SimTemplate:
    guid = guid.lower()
    envelope = SimEnvelope.objects.filter(account=account, envelope_id=guid).first()
    if envelope is not None:
        if envelope.status != "created":
            raise _error(
                "BULK_SEND_ENVELOPE_NOT_IN_SENDABLE_STATE",
                f"Envelope {guid} is not in a sendable state.",
            )
        return envelope
    template = SimTemplate.objects.filter(account=account, template_id=guid).first()
    if template is None:
        raise _error(
            "BULK_SEND_ENVELOPE_NOT_FOUND",
            f"Envelope {guid} does not exist or you do not have permission to access it.",
        )
    return template


def _placeholders(target: SimEnvelope | SimTemplate) -> tuple[dict[str, set[str]], set[str]]:
    """{role name or recipient id: its tab labels}, and the envelope custom field names."""
    if isinstance(target, SimTemplate):
        roles = {
            str(r["roleName"]): {
                str(t.get("tabLabel")) for tabs in (r.get("tabs") or {}).values() for t in tabs
            }
            for r in target.roles
        }
        return roles, set()
    found: dict[str, set[str]] = {}
    for r in target.recipients.all():
        labels = {str(t.get("tabLabel")) for tabs in r.tabs.values() for t in tabs}
        found[r.role_name] = found[r.recipient_id] = labels
    return found, set(target.custom_fields)


def _check_matches(target: SimEnvelope | SimTemplate, copies: list[dict[str, Any]]) -> None:
    recipients, fields = _placeholders(target)
    if not recipients:
        raise _error("BULK_SEND_ENVELOPE_HAS_NO_RECIPIENTS", "The envelope has no recipients.")
    for copy in copies:
        for recipient in copy.get("recipients") or []:
            key = str(recipient.get("roleName") or recipient.get("recipientId"))
            if key not in recipients:
                code = "ROLE_DOES_NOT_MATCH" if recipient.get("roleName") else "ID_DOES_NOT_EXIST"
                raise _error(
                    f"BULK_SEND_RECIPIENT_{code}" + ("" if "ROLE" in code else "_IN_ENVELOPE"),
                    f"Recipient {key} does not exist in the envelope.",
                )
            for tab in recipient.get("tabs") or []:
                if str(tab["tabLabel"]) not in recipients[key]:
                    raise _error(
                        "BULK_SEND_TAB_LABEL_DOES_NOT_EXIST_IN_ENVELOPE",
                        f"Tab with label {tab['tabLabel']} does not exist in envelope.",
                    )
        for field in copy.get("customFields") or []:
            if str(field["name"]) not in fields:
                raise _error(
                    "BULK_SEND_ENVELOPE_CUSTOM_FIELD_DOES_NOT_EXIST_IN_ENVELOPE",
                    f"Custom field {field['name']} does not exist in the envelope.",
                )


def _queued(account: SimAccount) -> int:
    return sum(
        len(b.copies) - b.processed
        for b in SimBulkBatch.objects.filter(account=account).only("copies", "processed")
    )


@api_view
def send(request: HttpRequest, *, account: SimAccount, user: SimUser, list_id: str) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/createbulksendrequest/
    body = json_body(request)
    bulk_list = _list(account, list_id)
    guid = str(body.get("envelopeOrTemplateId") or "")
    if not guid:
        raise _error("BULK_SEND_ENVELOPE_CANNOT_BE_NULL", "envelopeOrTemplateId is required.")
    target = _target(account, guid)
    copies = bulk_list.copies
    if not copies:
        raise _error("BULK_SEND_ENVELOPE_LIST_CONTAINS_NO_COPIES", "The list has no copies.")
    if len(copies) > MAX_COPIES:
        raise _error(
            "BULK_SEND_ENVELOPE_LIST_CONTAINS_TOO_MANY_COPIES",
            f"Bulk sending list contains more than {MAX_COPIES} copies.",
        )
    _check_matches(target, copies)
    with transaction.atomic():
        waiting = _queued(account)
        if waiting + len(copies) > MAX_QUEUED:
            raise _error(
                "BULK_SEND_ACCOUNT_HAS_TOO_MANY_QUEUED_ENVELOPES",
                f"Sending would exceed the maximum of {MAX_QUEUED} in-flight envelopes. This "
                f"account currently has {waiting} envelopes waiting to be processed.",
            )
        batch = SimBulkBatch.objects.create(
            account=account,
            sender=user,
            name=str(body.get("batchName") or bulk_list.name)[:100],
            list_id=bulk_list.list_id,
            list_name=bulk_list.name,
            envelope_or_template_id=guid.lower(),
            copies=copies,
        )
        transaction.on_commit(partial(_start_worker, batch.pk))
    return JsonResponse(
        {
            "batchId": batch.batch_id,
            "batchName": batch.name,
            "batchSize": str(len(copies)),
            "envelopeOrTemplateId": batch.envelope_or_template_id,
            "queueLimit": str(MAX_QUEUED),
            "totalQueued": str(waiting + len(copies)),
        },
        status=201,
    )


# --- processing ---------------------------------------------------------------------------


# Batch workers still running; tests stop them before their database goes (stop_workers).
_workers: set[threading.Thread] = set()
_workers_guard = threading.Lock()
_stopping = threading.Event()


def _start_worker(batch_pk: int) -> None:
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
                    "name": r["name"],
                    "email": r["email"],
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


# --- batches --------------------------------------------------------------------------------


def _batch(account: SimAccount, batch_id: str) -> SimBulkBatch:
    found = SimBulkBatch.objects.filter(account=account, batch_id=batch_id.lower()).first()
    if found is None:
        raise _error("BULK_SEND_BATCH_NOT_FOUND", f"Batch {batch_id} does not exist.")
    return found


def _counts(batch: SimBulkBatch) -> dict[str, str]:
    size = len(batch.copies)
    return {
        "batchSize": str(size),
        "queued": str(size - batch.processed),
        "sent": str(batch.processed - batch.failed),
        "failed": str(batch.failed),
    }


@api_view
def batches(request: HttpRequest, *, account: SimAccount, user: SimUser) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatches/
    found = SimBulkBatch.objects.filter(account=account).order_by("-submitted")
    ids = [i.strip().lower() for i in request.GET.get("batch_ids", "").split(",") if i.strip()]
    if ids:
        found = found.filter(batch_id__in=ids)
    if request.GET.get("search_text"):
        found = found.filter(name__icontains=request.GET["search_text"])
    start, count = int_param(request, "start_position", 0), int_param(request, "count", 100)
    if not 1 <= count <= 100:
        raise _error("INVALID_REQUEST_PARAMETER", "count must be between 1 and 100.")
    page = list(found[start : start + count])
    return JsonResponse(
        {
            "batchSizeLimit": str(MAX_COPIES),
            "queueLimit": str(MAX_QUEUED),
            "totalQueued": str(_queued(account)),
            "resultSetSize": str(len(page)),
            "totalSetSize": str(found.count()),
            "startPosition": str(start),
            "endPosition": str(max(start + len(page) - 1, 0)),
            "bulkBatchSummaries": [
                {
                    "batchId": b.batch_id,
                    "batchName": b.name,
                    "batchUri": f"/bulk_send_batch/{b.batch_id}",
                    "submittedDate": ds_date(b.submitted),
                    **_counts(b),
                }
                for b in page
            ],
        }
    )


@api_view
def batch_item(
    request: HttpRequest, *, account: SimAccount, user: SimUser, batch_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatchstatus/
    batch = _batch(account, batch_id)
    return JsonResponse(
        {
            "batchId": batch.batch_id,
            "batchName": batch.name,
            "mailingListId": batch.list_id,
            "mailingListName": batch.list_name,
            "envelopeIdOrTemplateId": batch.envelope_or_template_id,
            "ownerUserId": batch.sender.user_id,
            "senderUserId": batch.sender.user_id,
            "submittedDate": ds_date(batch.submitted),
            "envelopesUri": f"/bulk_send_batch/{batch.batch_id}/envelopes"
            "?start_position=0&count=40",
            "bulkErrors": batch.errors,
            **_counts(batch),
        }
    )


@api_view
def batch_envelopes(
    request: HttpRequest, *, account: SimAccount, user: SimUser, batch_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatchenvelopes/
    batch = _batch(account, batch_id)
    start, count = int_param(request, "start_position", 0), int_param(request, "count", 40)
    if start < 0 or not 1 <= count <= 1000:
        raise _error("INVALID_REQUEST_PARAMETER", "count must be between 1 and 1000.")
    order = "-" if request.GET.get("order", "desc") == "desc" else ""
    found = SimEnvelope.objects.filter(simbulkenvelope__batch=batch).order_by(
        f"{order}created", f"{order}pk"
    )
    page = list(
        found.select_related("sender", "account").prefetch_related("recipients")[
            start : start + count
        ]
    )
    include = include_param(request)
    return JsonResponse(
        {
            "resultSetSize": str(len(page)),
            "totalSetSize": str(found.count()),
            "startPosition": str(start),
            "endPosition": str(max(start + len(page) - 1, 0)),
            "envelopes": [envelope_json(e, include) for e in page],
        }
    )
