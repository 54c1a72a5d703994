"""Status tracking: (a) Connect webhook ingest under gunicorn against PostgreSQL with 50
concurrent senders, HMAC and the idempotent upsert included, side by side (same gunicorn,
same run, alternating rounds) with a trivial Django view doing one INSERT of the same body;
(b) the same while Celery workers drain the messages against a simulated DocuSign that
answers every envelope GET in 5 s (no lock may be held across those calls); (c) one polling
cycle with 10,000 envelopes in flight of which 1,000 changed, counting DocuSign calls;
(d) a sustained run: ~90 signed messages/s for 5 minutes while 2 Celery worker processes
drain them (no sweep running: a drain slice must hand on by itself), sampling the backlog
(in tracking_sustained.py).

    .venv/bin/python benchmarks/tracking.py              # everything
    .venv/bin/python benchmarks/tracking.py --sustained  # (d) only
    .venv/bin/python benchmarks/tracking.py --smoke      # (d) for a few seconds, small slices
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import math
import multiprocessing
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from harness import (
    LOGS,
    bench_database,
    celery_workers,
    child_env,
    free_port,
    gunicorn,
    setup_django,
)

setup_django()

import responses
from django.conf import settings
from tracking_sustained import FULL, KEY, SMOKE, run_sustained

SENDERS, EVENTS, DUPLICATES = 50, 5000, 500


ENVELOPE_IDS: list[str] = []  # when set, messages name these envelopes (the slow run)


def make_body(n: int) -> bytes:
    if ENVELOPE_IDS:  # signed, but without envelopeSummary: the drain asks DocuSign
        envelope_id = ENVELOPE_IDS[n % len(ENVELOPE_IDS)]
        return json.dumps(
            {
                "event": "envelope-delivered",
                "apiVersion": "v2.1",
                "uri": f"/restapi/v2.1/accounts/a/envelopes/{envelope_id}",
                "retryCount": 0,
                "configurationId": 1,
                "generatedDateTime": f"2026-11-25T11:00:{n % 60:02d}.{n:07d}Z",
                "data": {"accountId": "a", "envelopeId": envelope_id},
            }
        ).encode()
    return json.dumps(
        {
            "event": "envelope-completed",
            "apiVersion": "v2.1",
            "uri": f"/restapi/v2.1/accounts/a/envelopes/{n:08d}-0000-0000-0000-000000000000",
            "retryCount": 0,
            "configurationId": 1,
            "generatedDateTime": f"2026-11-25T10:00:{n % 60:02d}.{n:07d}Z",
            "data": {"accountId": "a", "envelopeId": f"{n:08d}-0000-0000-0000-000000000000"},
        }
    ).encode()


def _sender(
    args: tuple[str, str, list[int], int, list[str]],
) -> tuple[list[float], int, float, float]:
    """One load process: `threads` senders posting the given messages (index < 0: a
    redelivery). Bodies and signatures are made before the clock starts, and each thread
    keeps one HTTP/1.1 connection, so the load generator spends little of the shared CPU."""
    base_url, path, numbers, threads, envelope_ids = args
    ENVELOPE_IDS[:] = envelope_ids
    host, port = base_url.split("://", 1)[1].split(":")
    prepared = []
    for n in numbers:
        body = make_body(abs(n))
        signature = base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest())
        prepared.append((body, signature.decode()))
    local = threading.local()
    latencies: list[float] = []
    failures = 0

    def send(item: tuple[bytes, str]) -> None:
        nonlocal failures
        body, signature = item
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Content-Type": "application/json", "X-DocuSign-Signature-1": signature}
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (http.client.HTTPException, OSError):
            local.connection = None  # the server closed it; reconnect next time
            status = 0
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            failures += 1

    began = time.time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(send, prepared))
    return latencies, failures, began, time.time()


def ingest(
    base_url: str, path: str, offset: int = 0, envelope_ids: list[str] | None = None
) -> dict[str, float]:
    """50 senders as 5 processes x 10 threads, so the load generator is not one GIL."""
    numbers = [offset + n for n in range(EVENTS)] + [-(offset + n) for n in range(DUPLICATES)]
    processes = 5
    shares = [
        (base_url, path, numbers[i::processes], SENDERS // processes, envelope_ids or [])
        for i in range(processes)
    ]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_sender, shares)
    # From the first message sent to the last answered (process start-up excluded).
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    latencies = sorted(lat for part, *_ in results for lat in part)
    return {
        "per_second": len(numbers) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99)],
        "failures": sum(r[1] for r in results),
    }


def polling_calls(connection) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from connections.services import get_client
    from envelopes.models import Envelope
    from envelopes.tracking.polling import poll_connection
    from tests.factories import UserFactory

    sender = UserFactory(username="poller")
    Envelope.objects.bulk_create(
        Envelope(
            connection=connection,
            sender=sender,
            subject=f"E{n}",
            source="uploads",
            status="sent",
            docusign_envelope_id=f"{n:08d}-1111-0000-0000-000000000000",
        )
        for n in range(10_000)
    )
    changed = [
        {"envelopeId": f"{n:08d}-1111-0000-0000-000000000000", "status": "completed"}
        for n in range(0, 10_000, 10)
    ]
    page_size = settings.ENVELOPES_POLL_PAGE_SIZE
    base = f"https://demo.docusign.net/restapi/v2.1/accounts/{connection.account_id}"
    with responses.RequestsMock() as mock:
        mock.post(
            f"{settings.DOCUSIGN_DEMO_AUTH_SERVER}/oauth/token",
            json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
        )
        for start in range(0, len(changed), page_size):
            page = changed[start : start + page_size]
            mock.get(
                f"{base}/envelopes",
                json={
                    "envelopes": page,
                    "resultSetSize": str(len(page)),
                    "totalSetSize": str(len(changed)),
                },
            )
        result = poll_connection(connection, get_client(connection))
    assert Envelope.objects.filter(status="completed").count() == len(changed)
    return result.calls, math.ceil(len(changed) / page_size)


def ingest_while_docusign_is_slow(database_url: str) -> dict[str, float]:
    """Webhook ingest while 2 Celery workers drain the messages, each needing a DocuSign GET
    that the simulator answers after 5 s."""
    from connections.models import Connection
    from envelopes.models import ConnectEvent, Envelope
    from simulator import control
    from simulator.models import SimAccount, SimEnvelope, SimUser
    from simulator.seed import CONNECTION_NAME, seed_simulator
    from tests.factories import UserFactory

    port = free_port()
    site = f"http://127.0.0.1:{port}"
    settings.SITE_URL = site
    seed_simulator(site_url=site)
    connection = Connection.objects.get(name=CONNECTION_NAME)
    connection.connect_hmac_secrets = KEY
    connection.save()
    account = SimAccount.objects.get(account_id=connection.account_id.lower())
    user = SimUser.objects.get(user_id=connection.user_id.lower())
    sender = UserFactory(username="slow-run")
    ids = []
    for n in range(100):
        remote = SimEnvelope.objects.create(account=account, sender=user, status="delivered")
        Envelope.objects.create(
            connection=connection,
            sender=sender,
            subject=f"Slow {n}",
            source="uploads",
            status="sent",
            docusign_envelope_id=remote.envelope_id,
        )
        ids.append(remote.envelope_id)
    control.inject_fault(
        status=200, count=1_000_000, operation="Envelopes_GetEnvelope", delay_ms=5000
    )
    ConnectEvent.objects.all().delete()
    env = child_env(database_url, SITE_URL=site, DOCUSIGN_SIMULATOR="true")
    with gunicorn(env, port, workers=5, threads=2) as url, celery_workers(env, concurrency=2):
        stats = ingest(url, f"/envelopes/connect/{connection.connect_token}/", envelope_ids=ids)
        stats["applied"] = ConnectEvent.objects.filter(processed_at__isnull=False).count()
    return stats


ROUNDS = 2
BASELINE_TABLE = "bench_insert"  # what bench_wsgi.insert_view writes to


def main() -> None:
    from django.db import connection as db

    from connections.models import Connection
    from envelopes.models import ConnectEvent
    from tests.factories import ConnectionFactory

    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery_app import app

    app.conf.task_always_eager = False
    with bench_database() as database_url:
        settings.DOCUSIGN_DEMO_AUTH_SERVER = "https://account-d.docusign.com"
        connection: Connection = ConnectionFactory(connect_hmac_secrets=KEY)
        with db.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, body jsonb NOT NULL)"
            )
        port = free_port()
        env = child_env(database_url, DOCUSIGN_SIMULATOR="false", ALLOWED_HOSTS="127.0.0.1")
        webhook = f"/envelopes/connect/{connection.connect_token}/"
        runs: dict[str, list[dict[str, float]]] = {"webhook": [], "insert": []}
        with gunicorn(
            env, port, workers=5, threads=2, app="benchmarks.bench_wsgi:application"
        ) as url:
            for n in range(ROUNDS):  # alternate, so both see the same machine load
                runs["webhook"].append(ingest(url, webhook, offset=n * 100_000))
                runs["insert"].append(ingest(url, "/bench/insert/", offset=n * 100_000))
        stored = ConnectEvent.objects.count()
        redelivered = sum(ConnectEvent.objects.values_list("deliveries", flat=True)) - stored
        failures = sum(r["failures"] for r in runs["webhook"] + runs["insert"])
        calls, target = polling_calls(connection)
        slow = ingest_while_docusign_is_slow(database_url)
    if failures:
        print(f"({failures} requests failed or timed out: see {LOGS} for the server's log)")
    hook = statistics.mean(r["per_second"] for r in runs["webhook"])
    base = statistics.mean(r["per_second"] for r in runs["insert"])
    rounds = ", ".join(
        f"{w['per_second']:.0f}/{i['per_second']:.0f}"
        for w, i in zip(runs["webhook"], runs["insert"], strict=True)
    )
    p99 = max(r["p99"] for r in runs["webhook"])
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    print(
        f"| webhook ingest, {SENDERS} concurrent senders, {EVENTS} events + {DUPLICATES} "
        f"redeliveries per round, {ROUNDS} rounds | {hook:.0f} events/s (p99 ≤ {p99:.0f} ms) | — |"
    )
    print(
        f"| trivial view doing one INSERT, same server, same rounds | {base:.0f} requests/s | — |"
    )
    print(f"| ingest / trivial INSERT view (rounds: {rounds}) | {hook / base:.2f} | ≥ 0.7 |")
    print(
        f"| stored / redeliveries recognised / failed requests | {stored} / {redelivered} / "
        f"{int(failures)} | {EVENTS * ROUNDS} / {DUPLICATES * ROUNDS} / 0 |"
    )
    print(
        f"| the same while 2 workers drain against a DocuSign answering each GET in 5 s | "
        f"{slow['per_second']:.0f} events/s, p50 {slow['p50']:.0f} ms, p99 {slow['p99']:.0f} "
        f"ms, {int(slow['failures'])} failed; {int(slow['applied'])} applied meanwhile "
        "| ≥ 500 events/s |"
    )
    print(
        f"| polling 10,000 in flight, 1,000 changed: DocuSign calls | {calls} "
        f"(page size {settings.ENVELOPES_POLL_PAGE_SIZE}) | {target} (naive per-envelope: 10,000) |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sustained", action="store_true", help="only the sustained run")
    parser.add_argument("--smoke", action="store_true", help="a few seconds of the sustained run")
    options = parser.parse_args()
    if options.smoke or options.sustained:
        outcome = run_sustained(SMOKE if options.smoke else FULL)
        if options.smoke and (outcome["left"] or outcome["failed"] or not outcome["stored"]):
            sys.exit("smoke run: messages were left unapplied or requests failed")
    else:
        main()
        run_sustained(FULL)
