"""Polling DocuSign for status changes where Connect is not set up.

One listStatusChanges call per page of changed envelopes, never one call per envelope;
`from_date` overlaps the previous poll so clock skew loses nothing (applying twice is
harmless: statuses never move backwards).
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from connections.docusign.client import DocuSignClient
from connections.models import Connection
from envelopes.models import Envelope, EnvelopeEvent, SyncCursor
from envelopes.outside import list_outside_envelope, since_for_listing
from envelopes.tracking import apply_envelope_summary

OVERLAP = timedelta(minutes=5)
# With Connect delivering changes, polling is only a rare reconciliation sweep.
CONNECT_SWEEP = timedelta(hours=6)


@dataclass(frozen=True)
class PollResult:
    calls: int
    applied: int


def poll_interval(connection: Connection) -> timedelta:
    if connection.hmac_secrets():
        return CONNECT_SWEEP
    return timedelta(minutes=max(15, settings.ENVELOPES_POLL_INTERVAL_MINUTES))


def is_due(connection: Connection, now: datetime) -> bool:
    cursor = SyncCursor.objects.filter(connection=connection).first()
    if cursor is None or cursor.last_polled_at is None:
        return True
    return now - cursor.last_polled_at >= poll_interval(connection)


def poll_connection(
    connection: Connection, client: DocuSignClient, *, now: datetime | None = None
) -> PollResult:
    now = now or timezone.now()
    watched = Envelope.objects.filter(connection=connection, status__in=Envelope.OPEN_AT_DOCUSIGN)
    earliest = watched.aggregate(first=Min("created_at"))["first"]
    outside = connection.list_outside_envelopes
    if earliest is None and outside:
        earliest = since_for_listing(connection)
    if earliest is None:
        return PollResult(calls=0, applied=0)  # nothing can change: no call at all
    cursor, _ = SyncCursor.objects.get_or_create(
        connection=connection, defaults={"synced_until": earliest}
    )
    since = cursor.synced_until - OVERLAP
    calls = applied = start = 0
    page_size = settings.ENVELOPES_POLL_PAGE_SIZE
    while True:
        page = client.get_json(
            "/envelopes",
            params={
                "from_date": since.isoformat(),
                # Custom fields tell our envelopes from those sent outside Countersign.
                "include": "recipients,custom_fields" if outside else "recipients",
                "start_position": str(start),
                "count": str(page_size),
            },
        )
        calls += 1
        found = page.get("envelopes") or []
        ids = [str(e.get("envelopeId", "")).lower() for e in found]
        local = {
            e.docusign_envelope_id: e
            for e in Envelope.objects.filter(connection=connection, docusign_envelope_id__in=ids)
        }
        for summary in found:
            envelope = local.get(str(summary.get("envelopeId", "")).lower())
            if (envelope is None and outside and list_outside_envelope(connection, summary)) or (
                envelope is not None
                and apply_envelope_summary(envelope, summary, source=EnvelopeEvent.Source.DOCUSIGN)
            ):
                applied += 1
        start += len(found)
        if not found or start >= int(page.get("totalSetSize") or 0):
            break
    cursor.synced_until, cursor.last_polled_at = now, now
    cursor.save()
    return PollResult(calls=calls, applied=applied)
