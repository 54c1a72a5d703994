"""Operations benchmarks: how long /readyz and a metrics scrape take on a large database.

    make bench        (or: .venv/bin/python benchmarks/operations.py)

Builds a throw-away PostgreSQL database (test_<name>) holding a year-sized history:
200,000 ApiCall rows over 5 connections, 20,000 envelopes, 20,000 Connect messages; then
times the readiness checks (with Redis, no worker needed: a failing check costs the same)
and the metrics collector, which aggregates those tables on every scrape.
"""

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import bench_database, setup_django

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
setup_django()

from django.utils import timezone

from connections.models import ApiCall, Connection
from envelopes.models import ConnectEvent, Envelope
from ops import health, metrics
from tests.factories import ConnectionFactory, UserFactory

CALLS, ENVELOPES, EVENTS = 200_000, 20_000, 20_000
PATHS = ["/envelopes", "/envelopes/{envelopeId}", "/oauth/token", "/envelopes/status"]
STATUSES = ["sent", "delivered", "completed", "declined", "voided", "queued"]


def fill() -> None:
    rng = random.Random(1)
    connections: list[Connection] = [ConnectionFactory(name=f"Bench {i}") for i in range(5)]
    sender = UserFactory(username="bench")
    now = timezone.now()
    batch = []
    for i in range(CALLS):
        c = connections[i % 5]
        batch.append(
            ApiCall(
                connection=c,
                account_id=c.account_id,
                method="POST" if i % 3 == 0 else "GET",
                path=PATHS[i % len(PATHS)],
                status_code=rng.choice([200, 201, 201, 400, 429, 503, None]),
                duration_ms=rng.randint(20, 4000),
            )
        )
    ApiCall.objects.bulk_create(batch, batch_size=5000)
    # Spread the calls over a year (created_at is auto_now_add).
    ids = list(ApiCall.objects.values_list("id", flat=True))
    for start in range(0, len(ids), 20_000):
        ApiCall.objects.filter(id__in=ids[start : start + 20_000]).update(
            created_at=now - timedelta(days=start // 20_000 * 36)
        )
    Envelope.objects.bulk_create(
        [
            Envelope(
                connection=connections[i % 5],
                sender=sender,
                subject=f"E{i}",
                status=STATUSES[i % len(STATUSES)],
            )
            for i in range(ENVELOPES)
        ],
        batch_size=5000,
    )
    ConnectEvent.objects.bulk_create(
        [
            ConnectEvent(
                connection=connections[i % 5],
                identity=f"bench-{i}",
                event="envelope-sent",
                docusign_envelope_id=f"env-{i}",
                verified=True,
                body={},
                processed_at=now if i % 100 else None,
                deliveries=1 + (i % 7 == 0),
            )
            for i in range(EVENTS)
        ],
        batch_size=5000,
    )


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    with bench_database():
        fill()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        health.readiness()  # the first call also reads the migration graph, once per process
        ready = timed(health.readiness, 50)
        scrape = timed(metrics.exposition, 10)
        size = len(metrics.exposition())
    print("| measure | median | p90 |")
    print("| --- | --- | --- |")
    for name, values in (("/readyz checks", ready), ("metrics scrape", scrape)):
        deciles = statistics.quantiles(values, n=10)
        print(f"| {name} | {statistics.median(values):.1f} ms | {deciles[-1]:.1f} ms |")
    print(
        f"\n{CALLS:,} ApiCall rows, {ENVELOPES:,} envelopes, {EVENTS:,} Connect messages; "
        f"scrape body {size:,} bytes"
    )


if __name__ == "__main__":
    main()
