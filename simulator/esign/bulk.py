"""Bulk Send v2 in the simulator: lists, sends, batches that become envelopes over time.

As at DocuSign, a send queues the whole batch or nothing; its copies then become envelopes
over time (simulator.esign.bulk_queue), and a copy can still fail then, reported in the
batch's `failed` and `bulkErrors`.
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/
"""

from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from simulator.esign.api import api_view
from simulator.esign.bulk_queue import start_worker
from simulator.esign.serializers import envelope_json
from simulator.esign.status_changes import include_param, int_param
from simulator.esign.wire import ApiError, ds_date, json_body
from simulator.models import (
    SimAccount,
    SimBulkBatch,
    SimBulkList,
    SimEnvelope,
    SimTemplate,
    SimUser,
)

MAX_COPIES = 1000  # per list and per send (DocuSign's default account setting)
MAX_QUEUED = 2000  # envelopes waiting to be made, per account


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
    request: HttpRequest, *, account: SimAccount, user: SimUser, bulk_send_list_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendlist/
    return JsonResponse(_list_json(_list(account, bulk_send_list_id)))


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
def send(
    request: HttpRequest, *, account: SimAccount, user: SimUser, bulk_send_list_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/createbulksendrequest/
    body = json_body(request)
    bulk_list = _list(account, bulk_send_list_id)
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
        transaction.on_commit(partial(start_worker, batch.pk))
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
    request: HttpRequest, *, account: SimAccount, user: SimUser, bulk_send_batch_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatchstatus/
    batch = _batch(account, bulk_send_batch_id)
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
    request: HttpRequest, *, account: SimAccount, user: SimUser, bulk_send_batch_id: str
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatchenvelopes/
    batch = _batch(account, bulk_send_batch_id)
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
