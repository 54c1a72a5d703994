"""Prometheus metrics, computed at scrape time from the database and Redis.

Every gunicorn worker and Celery process writes its facts to PostgreSQL (ApiCall, Envelope,
ConnectEvent rows) or Redis (queue, rejection counters), so a scrape of any web process sees
the whole system, with no multiprocess files to manage. Counters are counts of rows: they
only drop if old rows are deleted, which Prometheus reads as a counter reset.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

import redis
from celery import current_app
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Case, Count, F, IntegerField, Min, Q, Sum, Value, When
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from connections.budget import SharedBudget
from connections.models import ApiCall, Connection
from envelopes.models import ConnectEvent, Envelope
from envelopes.selectors import stuck_connect_events, stuck_envelopes
from ops import heartbeat
from ops.selectors import TOKEN_PATH, operation

logger = logging.getLogger("countersign.metrics")

REJECTED_KEY = heartbeat.PREFIX + "connect-rejected"
BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)


def outcome(status: int | None) -> str:
    if status is None:
        return "unreachable"
    if status < 300:
        return "success"
    if status == 429:
        return "rate_limited"
    return "client_error" if status < 500 else "server_error"


# The smallest bucket a call's duration fits in (len(BUCKETS_MS): slower than all of them).
BUCKET = Case(
    *[When(duration_ms__lte=b, then=Value(i)) for i, b in enumerate(BUCKETS_MS)],
    default=Value(len(BUCKETS_MS)),
)


def count_connect_rejection(status: int) -> None:
    """Called for each Connect message we refused (by HTTP status); kept in Redis so every
    web process adds to one count."""
    if not settings.REDIS_URL:
        return
    try:
        heartbeat.client().hincrby(REJECTED_KEY, str(status), 1)
    except redis.RedisError as exc:
        logger.warning("Could not count a rejected Connect message (%s)", type(exc).__name__)


@dataclass
class _Series:
    calls: int = 0
    total_ms: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))


def _calls() -> Iterator[Metric]:
    """One pass over ApiCall, grouped by status and duration bucket (no join, one CASE per
    row); outcomes, cumulative buckets and connection names are worked out here."""
    names = dict(Connection.objects.values_list("id", "name"))
    series: dict[tuple[str, str, str], _Series] = defaultdict(_Series)
    rows = (
        ApiCall.objects.annotate(bucket=BUCKET)
        .values_list("connection_id", "method", "path", "status_code", "bucket")
        .annotate(n=Count("id"), total_ms=Sum("duration_ms"))
        .order_by()
    )
    for connection_id, method, path, status, bucket, n, total_ms in rows:
        one = series[(names.get(connection_id, ""), operation(method, path), outcome(status))]
        one.calls += n
        one.total_ms += total_ms or 0
        one.buckets[bucket] += n
    calls = CounterMetricFamily(
        "countersign_docusign_calls",
        "DocuSign calls made, by connection, operation and outcome.",
        labels=["connection", "operation", "outcome"],
    )
    latency = HistogramMetricFamily(
        "countersign_docusign_call_duration_seconds",
        "Time DocuSign calls took, by connection, operation and outcome.",
        labels=["connection", "operation", "outcome"],
    )
    mints = CounterMetricFamily(
        "countersign_docusign_token_mints",
        "Access tokens requested from DocuSign (JWT Grant), by connection and outcome.",
        labels=["connection", "outcome"],
    )
    token_operation = operation("POST", TOKEN_PATH)
    for (name, op, result), one in sorted(series.items()):
        labels = [name, op, result]
        calls.add_metric(labels, one.calls)
        cumulative = list(accumulate(one.buckets))
        latency.add_metric(
            labels,
            [(str(b / 1000), cumulative[i]) for i, b in enumerate(BUCKETS_MS)]
            + [("+Inf", one.calls)],
            one.total_ms / 1000,
        )
        if op == token_operation:
            mints.add_metric([name, result], one.calls)
    yield from (calls, latency, mints)


def _budget() -> Iterator[Metric]:
    """What the shared budget (connections.budget) says now, per account: the same numbers
    every worker paces itself by. ApiCall is the history (countersign_docusign_calls_total)."""
    hourly = GaugeMetricFamily(
        "countersign_docusign_budget_remaining",
        "DocuSign calls left this hour per account, as the shared budget counts them "
        "(lowered to DocuSign's own X-RateLimit-Remaining when that says less; 0 while blocked).",
        labels=["account"],
    )
    burst = GaugeMetricFamily(
        "countersign_docusign_burst_remaining",
        "DocuSign calls left in the current 30-second burst window per account.",
        labels=["account"],
    )
    accounts = set(Connection.objects.exclude(account_id="").values_list("account_id", flat=True))
    for account in sorted(accounts):
        state = SharedBudget(account).state()
        if state is None:  # the cache is down: no number is better than a made-up one
            continue
        hourly.add_metric([account], state.hourly_remaining)
        burst.add_metric([account], state.burst_remaining)
    yield from (hourly, burst)


def _envelopes() -> Iterator[Metric]:
    by_status = GaugeMetricFamily(
        "countersign_envelopes",
        "Envelopes by connection and status.",
        labels=["connection", "status"],
    )
    for row in (
        Envelope.objects.values("connection__name", "status").annotate(n=Count("id")).order_by()
    ):
        by_status.add_metric([row["connection__name"], row["status"]], row["n"])
    yield by_status
    stuck = GaugeMetricFamily(
        "countersign_stuck",
        "Work no process is moving, as the sweep sees it (envelopes.tracking.stuck).",
        labels=["kind"],
    )
    stuck.add_metric(["envelope"], stuck_envelopes().count())
    stuck.add_metric(["connect_event"], stuck_connect_events().count())
    yield stuck


def _connect() -> Iterator[Metric]:
    received = CounterMetricFamily(
        "countersign_connect_messages_received",
        "Distinct Connect messages stored, by connection.",
        labels=["connection"],
    )
    redelivered = CounterMetricFamily(
        "countersign_connect_messages_redelivered",
        "Connect deliveries of a message already stored, by connection.",
        labels=["connection"],
    )
    lag = GaugeMetricFamily(
        "countersign_connect_drain_lag_seconds",
        "Age of the oldest stored Connect message not yet applied, parked ones aside "
        "(0: none waiting).",
        labels=["connection"],
    )
    parked = GaugeMetricFamily(
        "countersign_connect_messages_parked",
        "Connect messages the drain could not apply, waiting for staff to retry or discard.",
        labels=["connection"],
    )
    backing_off = GaugeMetricFamily(
        "countersign_connect_messages_waiting",
        "Connect messages waiting after a transient failure, tried again when due.",
        labels=["connection"],
    )
    now = timezone.now()
    pending = Q(processed_at__isnull=True, parked_at__isnull=True)
    for row in (
        ConnectEvent.objects.values("connection__name")
        .annotate(
            n=Count("id"),
            extra=Sum(F("deliveries") - 1, output_field=IntegerField()),
            oldest=Min("received_at", filter=pending),
            parked=Count("id", filter=Q(parked_at__isnull=False, discarded_at__isnull=True)),
            waiting=Count("id", filter=pending & Q(next_attempt_at__gt=now)),
        )
        .order_by()
    ):
        name = row["connection__name"]
        received.add_metric([name], row["n"])
        redelivered.add_metric([name], row["extra"] or 0)
        lag.add_metric([name], (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0)
        parked.add_metric([name], row["parked"])
        backing_off.add_metric([name], row["waiting"])
    yield from (received, redelivered, lag, parked, backing_off)


def _redis() -> Iterator[Metric]:
    queue = current_app.conf.task_default_queue
    client = heartbeat.client()
    depth = GaugeMetricFamily(
        "countersign_queue_depth", "Tasks waiting in the broker, by queue.", labels=["queue"]
    )
    # Kombu's Redis transport keeps one list per priority step beside the plain one.
    names = [queue] + [f"{queue}\x06\x16{p}" for p in (3, 6, 9)]
    broker = heartbeat.broker_client()
    depth.add_metric([queue], sum(int(broker.llen(name)) for name in names))
    yield depth
    rejected = CounterMetricFamily(
        "countersign_connect_messages_rejected",
        "Connect messages refused, by HTTP status (401 bad signature, 413 too large, 400 …).",
        labels=["status"],
    )
    for status, n in sorted(client.hgetall(REJECTED_KEY).items()):
        rejected.add_metric([status.decode() if isinstance(status, bytes) else status], int(n))
    yield rejected
    stale = float(settings.OPS_HEARTBEAT_STALE_SECONDS)
    up = GaugeMetricFamily(
        "countersign_heartbeat_up",
        "1 if the component's heartbeat is fresh, 0 if stale or never seen (beat's is not part "
        "of /readyz: alert on it here).",
        labels=["component"],
    )
    for name, key in (("worker", heartbeat.WORKER_KEY), ("beat", heartbeat.BEAT_KEY)):
        seen = heartbeat.last_seen(key)
        age = GaugeMetricFamily(
            f"countersign_{name}_heartbeat_age_seconds", f"Seconds since the last {name} heartbeat."
        )
        up.add_metric([name], 1.0 if seen is not None and float(seen["age"]) <= stale else 0.0)
        if seen is not None:
            age.add_metric([], float(seen["age"]))
            yield age
    yield up


class CountersignCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "countersign_metrics_source_up",
            "1 if the scrape could read this source, 0 if not.",
            labels=["source"],
        )
        started = time.monotonic()
        sources: list[tuple[str, tuple[Callable[[], Iterator[Metric]], ...]]] = [
            ("database", (_calls, _budget, _envelopes, _connect))
        ]
        if settings.REDIS_URL:
            sources.append(("redis", (_redis,)))
        for source, parts in sources:
            try:
                metrics = [m for part in parts for m in part()]
            except (DatabaseError, redis.RedisError) as exc:
                logger.warning("Metrics: %s unreadable (%s)", source, type(exc).__name__)
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from metrics
        yield up
        took = GaugeMetricFamily(
            "countersign_metrics_scrape_seconds", "Time this scrape took to compute."
        )
        took.add_metric([], time.monotonic() - started)
        yield took


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CountersignCollector())
    return generate_latest(registry)
