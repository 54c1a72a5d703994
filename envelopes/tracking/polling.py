"""Polling DocuSign for status changes; the same listing feeds the reconciliation.

Connections on one DocuSign account that impersonate the same user see the same envelopes,
so they share one listing (`listing_group`): it tracks the statuses of all their rows and
is what reconciliation reads (envelopes.sending.reconciliation), so the account is listed once per
interval, never once for polling and again for reconciling. The interval is
ENVELOPES_POLL_INTERVAL_MINUTES (20 by default, as DocuSign advises; never below its
15-minute limit, which the Go-Live review checks), 6 hours with Connect. Against the
simulator only, ENVELOPES_SIMULATOR_POLL_SECONDS may shorten it for benchmarks.

One listStatusChanges call per page of changed envelopes, never one call per envelope;
`from_date` overlaps the previous listing so clock skew loses nothing (applying twice is
harmless: statuses never move backwards) and an envelope too young to reconcile is seen
again. While a recent send's create had an unknown outcome (a duplicate or a lost envelope
may exist), the listing reaches back to that row's creation.
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from connections.docusign import esignature
from connections.docusign.client import DocuSignClient
from connections.models import Connection
from envelopes import retries
from envelopes.models import Envelope, EnvelopeEvent, SyncCursor
from envelopes.sending.definitions import CUSTOM_FIELD
from envelopes.sending.reconciliation import Outcome, reconcile
from envelopes.tracking.apply import apply_envelope_summary
from envelopes.tracking.outside import list_outside_envelope, since_for_listing

OVERLAP = timedelta(minutes=5)
# With Connect delivering changes, polling is only a rare sweep.
CONNECT_SWEEP = timedelta(hours=6)
# DocuSign's polling rule: one status check per envelope per 15 minutes at most.
DOCUSIGN_MIN_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True)
class PollResult:
    calls: int
    applied: int
    reconciled: Outcome = field(default_factory=Outcome)


def polling_interval() -> timedelta:
    """Without Connect (and while a duplicate may exist)."""
    simulated = float(settings.ENVELOPES_SIMULATOR_POLL_SECONDS)
    if settings.DOCUSIGN_SIMULATOR and simulated > 0:
        return timedelta(seconds=simulated)  # benchmarks against the simulator only
    minutes = timedelta(minutes=settings.ENVELOPES_POLL_INTERVAL_MINUTES)
    return max(DOCUSIGN_MIN_INTERVAL, minutes)


def poll_interval(connection: Connection) -> timedelta:
    return CONNECT_SWEEP if connection.hmac_secrets() else polling_interval()


def listing_group(connection: Connection) -> list[Connection]:
    """The connections one listing serves: same environment, account and impersonated user
    (DocuSign lists the envelopes that user can see), ready ones, oldest first. The first
    one lists (so the calls always go to the same integration key)."""
    same = Connection.objects.filter(
        environment=connection.environment,
        account_id__iexact=connection.account_id,
        user_id__iexact=connection.user_id,
    ).order_by("pk")
    group = [c for c in same if c.is_ready]
    return group if connection.pk in {c.pk for c in group} else [connection]


def suspects(connection_ids: list[int], now: datetime) -> QuerySet[Envelope]:
    """Recent rows whose send may have left an envelope at DocuSign that no row links, or a
    second one: a retried send, or a create whose outcome is unknown."""
    recent = now - timedelta(hours=settings.ENVELOPES_RECONCILE_LOOKBACK_HOURS)
    unknown_create = Q(
        docusign_envelope_id="",
        create_started_at__isnull=False,
        status__in=[Envelope.Status.QUEUED, Envelope.Status.SENDING, Envelope.Status.FAILED],
    )
    return Envelope.objects.filter(connection_id__in=connection_ids, created_at__gte=recent).filter(
        unknown_create | Q(send_attempts__gt=1)
    )


def is_due(connection: Connection, now: datetime) -> bool:
    """The connection's listing group was last listed at least its interval ago."""
    group = listing_group(connection)
    ids = [c.pk for c in group]
    last = SyncCursor.objects.filter(connection_id__in=ids).aggregate(last=Max("last_polled_at"))
    if last["last"] is None:
        return True
    interval = min(poll_interval(c) for c in group)
    if interval > polling_interval() and suspects(ids, now).exists():
        interval = polling_interval()  # Connect or not, a possible duplicate is looked for
    return bool(now - last["last"] >= interval)


def due_listings(now: datetime) -> list[Connection]:
    """The connection to list with for each listing group that is due and has something to
    list (envelopes open at DocuSign, outside envelopes wanted, or suspects)."""
    recent = now - timedelta(hours=settings.ENVELOPES_RECONCILE_LOOKBACK_HOURS)
    candidates = Connection.objects.filter(
        Q(envelopes__status__in=Envelope.OPEN_AT_DOCUSIGN)
        | Q(list_outside_envelopes=True)
        | Q(envelopes__created_at__gte=recent, envelopes__send_attempts__gt=1)
        | Q(envelopes__created_at__gte=recent, envelopes__create_started_at__isnull=False)
    ).distinct()
    listers: dict[int, Connection] = {}
    for connection in candidates:
        if not connection.is_ready:
            continue
        lister = listing_group(connection)[0]
        if lister.pk not in listers and is_due(lister, now):
            listers[lister.pk] = lister
    return list(listers.values())


def poll_connection(
    connection: Connection, client: DocuSignClient, *, now: datetime | None = None
) -> PollResult:
    """List the changes of `connection`'s listing group (with `client`), apply them to its
    rows, and reconcile what the listing found."""
    now = now or timezone.now()
    group = listing_group(connection)
    ids = [c.pk for c in group]
    watched = Envelope.objects.filter(connection_id__in=ids, status__in=Envelope.OPEN_AT_DOCUSIGN)
    earliest = watched.aggregate(first=Min("created_at"))["first"]
    suspect_since = suspects(ids, now).aggregate(first=Min("created_at"))["first"]
    outside = next((c for c in group if c.list_outside_envelopes), None)
    starts = [d for d in (earliest, suspect_since) if d is not None]
    if not starts and outside is not None:
        starts = [since_for_listing(outside)]
    if not starts:
        return PollResult(calls=0, applied=0)  # nothing can change: no call at all
    cursors = [
        SyncCursor.objects.get_or_create(connection=c, defaults={"synced_until": min(starts)})[0]
        for c in group
    ]
    since = min(c.synced_until for c in cursors) - max(OVERLAP, retries.settle_window())
    if suspect_since is not None:
        since = min(since, suspect_since - OVERLAP)
    calls = applied = 0
    carrying_ours = []  # what reconciliation reads: envelopes carrying a countersign_id
    # Custom fields tell ours (and whose) from those sent outside Countersign.
    for found in esignature.changed_envelope_pages(
        client,
        since=since,
        include="recipients,custom_fields",
        page_size=settings.ENVELOPES_POLL_PAGE_SIZE,
    ):
        calls += 1
        page_ids = [str(e.get("envelopeId", "")).lower() for e in found]
        rows = Envelope.objects.filter(connection_id__in=ids, docusign_envelope_id__in=page_ids)
        local = {e.docusign_envelope_id: e for e in rows}
        for summary in found:
            envelope = local.get(str(summary.get("envelopeId", "")).lower())
            if (envelope is None and outside and list_outside_envelope(outside, summary)) or (
                envelope is not None
                and apply_envelope_summary(envelope, summary, source=EnvelopeEvent.Source.DOCUSIGN)
            ):
                applied += 1
            if esignature.text_custom_field(summary, CUSTOM_FIELD):
                carrying_ours.append(summary)
    outcome = reconcile(connection, carrying_ours, now=now)
    SyncCursor.objects.filter(connection_id__in=ids).update(
        synced_until=now,
        last_polled_at=now,
        left_not_ours=outcome.not_ours,
        left_no_row=outcome.no_row,
    )
    return PollResult(calls=calls, applied=applied, reconciled=outcome)
