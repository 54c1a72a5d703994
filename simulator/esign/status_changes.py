"""listStatusChanges (GET /envelopes): the sanctioned way to poll, paged as DocuSign pages it.

A configurable search lag (simulator.control: search_lag_seconds) hides envelopes created
less than N seconds ago, as an eventually consistent search index would.
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from simulator import control
from simulator.esign.serializers import envelope_json
from simulator.esign.wire import ApiError
from simulator.models import SimAccount, SimEnvelope

MAX_COUNT = 1000


def include_param(request: HttpRequest) -> set[str]:
    return {p.strip() for p in request.GET.get("include", "").split(",") if p.strip()}


def _date(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise ApiError(
            "INVALID_REQUEST_PARAMETER", f"The {name} parameter is not a valid date: {raw}"
        )
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def int_param(request: HttpRequest, name: str, default: int) -> int:
    try:
        return int(request.GET.get(name, default))
    except ValueError:
        raise ApiError(
            "INVALID_REQUEST_PARAMETER", f"The {name} parameter must be a number."
        ) from None


def list_status_changes(request: HttpRequest, account: SimAccount) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
    from_date, to_date = _date(request, "from_date"), _date(request, "to_date")
    ids = [i.strip().lower() for i in request.GET.get("envelope_ids", "").split(",") if i.strip()]
    if from_date is None and not ids and not request.GET.get("transaction_ids"):
        raise ApiError(
            "INVALID_REQUEST_PARAMETER",
            "The request contained at least one invalid parameter. A from_date, envelope_ids "
            "or transaction_ids is required.",
        )
    found: QuerySet[SimEnvelope] = SimEnvelope.objects.filter(account=account)
    lag = control.behaviour().search_lag_seconds
    if lag > 0:
        found = found.filter(created__lte=timezone.now() - timedelta(seconds=lag))
    if ids:
        found = found.filter(envelope_id__in=ids)
    if from_date:
        found = found.filter(status_changed__gte=from_date)
    if to_date:
        found = found.filter(status_changed__lte=to_date)
    statuses = [s.strip().lower() for s in request.GET.get("status", "").split(",") if s.strip()]
    if statuses and "any" not in statuses:
        found = found.filter(status__in=statuses)
    custom = request.GET.get("custom_field", "")
    if custom:
        name, _, value = custom.partition("=")
        found = found.filter(**{f"custom_fields__{name}": value})
    start, count = (
        int_param(request, "start_position", 0),
        min(int_param(request, "count", 100), MAX_COUNT),
    )
    if start < 0 or count < 1:
        raise ApiError("INVALID_REQUEST_PARAMETER", "start_position must be ≥ 0 and count ≥ 1.")
    total = found.count()
    page = list(
        found.order_by("status_changed", "pk")
        .select_related("sender", "account")
        .prefetch_related("recipients")[start : start + count]
    )
    include = include_param(request)
    end = start + len(page) - 1
    query = request.GET.copy()
    data: dict[str, Any] = {
        "resultSetSize": str(len(page)),
        "totalSetSize": str(total),
        "startPosition": str(start),
        "endPosition": str(max(end, 0)),
        "envelopes": [envelope_json(e, include) for e in page],
    }
    if start + len(page) < total:
        query["start_position"] = str(start + len(page))
        data["nextUri"] = f"/envelopes?{query.urlencode()}"
    if start > 0:
        query["start_position"] = str(max(start - count, 0))
        data["previousUri"] = f"/envelopes?{query.urlencode()}"
    return data
