"""The status tracking benchmark's sustained run (benchmarks/tracking.py, part d): ~90 signed
Connect messages/s for 5 minutes while 2 Celery worker processes drain them (no sweep running:
a drain slice must hand on by itself), sampling the backlog; `SMOKE` is the few-second version
a test runs. Imported after Django is set up."""

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import math
import multiprocessing
import os
import statistics
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from harness import bench_database, celery_workers, child_env, free_port, gunicorn

KEY = "benchmark-connect-hmac-key-0001"  # the Connect HMAC key of every tracking run


@dataclass(frozen=True)
class Sustained:
    rate: float  # messages a second, sent on a schedule
    seconds: float
    slice_messages: int | None = None  # a small slice makes the hand-offs many (smoke)
    sample_every: float = 5.0
    catch_up_seconds: float = 120.0

    @property
    def total(self) -> int:
        return int(self.rate * self.seconds)


FULL = Sustained(rate=90, seconds=300)
SMOKE = Sustained(rate=30, seconds=6, slice_messages=10, sample_every=1.0, catch_up_seconds=60)
STEPS = (  # per envelope: recipient sent, envelope and recipient delivered, recipient signed
    ("recipient-sent", "sent", "sent"),
    ("recipient-delivered", "delivered", "delivered"),
    ("recipient-completed", "delivered", "completed"),
)


def sustained_body(n: int, envelope_id: str) -> bytes:
    """A signed message with its summary, as DocuSign sends them (no DocuSign call needed)."""
    event, status, signer = STEPS[n % len(STEPS)]
    return json.dumps(
        {
            "event": event,
            "apiVersion": "v2.1",
            "uri": f"/restapi/v2.1/accounts/a/envelopes/{envelope_id}",
            "retryCount": 0,
            "configurationId": 1,
            "generatedDateTime": f"2026-12-01T10:00:00.{n:07d}Z",
            "data": {
                "accountId": "a",
                "envelopeId": envelope_id,
                "recipientId": "1",
                "envelopeSummary": {
                    "status": status,
                    "recipients": {
                        "signers": [
                            {"recipientId": "1", "status": signer},
                            {"recipientId": "2", "status": "sent"},
                        ]
                    },
                },
            },
        }
    ).encode()


def _paced_sender(args: tuple[str, str, list[str], float, int, int]) -> tuple[int, int, float]:
    """Send message i at start + i / rate (8 threads with keep-alive, so a slow answer does
    not hold the schedule up); returns (sent, failed, seconds late at the end)."""
    base_url, path, envelope_ids, rate, total, start_at = args
    host, port = base_url.split("://", 1)[1].split(":")
    prepared = []
    for n in range(total):
        body = sustained_body(n, envelope_ids[n // len(STEPS)])
        signature = base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest())
        prepared.append((body, signature.decode()))
    numbers = itertools.count()
    lock = threading.Lock()
    failures = 0
    local = threading.local()
    begin = start_at / 1000

    def run() -> None:
        nonlocal failures
        while True:
            with lock:
                n = next(numbers)
            if n >= total:
                return
            wait = begin + n / rate - time.time()
            if wait > 0:
                time.sleep(wait)
            body, signature = prepared[n]
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(
                    host, int(port), timeout=30
                )
            headers = {"Content-Type": "application/json", "X-DocuSign-Signature-1": signature}
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (http.client.HTTPException, OSError):
                local.connection = None
                ok = False
            if not ok:
                with lock:
                    failures += 1

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total, failures, time.time() - (begin + total / rate)


def sustained_run(database_url: str, plan: Sustained) -> dict[str, float]:
    """Ingest at `plan.rate` for `plan.seconds` while one Celery worker with 2 processes
    drains (no beat: no sweep); the backlog is sampled as it goes."""
    from django.db.models import Max

    from envelopes.models import ConnectEvent, Envelope, Recipient
    from tests.factories import ConnectionFactory, UserFactory

    connection = ConnectionFactory(connect_hmac_secrets=KEY, name="Sustained")
    sender = UserFactory(username="sustained")
    count = math.ceil(plan.total / len(STEPS))
    envelopes = Envelope.objects.bulk_create(
        Envelope(
            connection=connection,
            sender=sender,
            subject=f"Sustained {n}",
            source="uploads",
            status="sent",
            docusign_envelope_id=f"{n:08d}-5555-0000-0000-000000000000",
        )
        for n in range(count)
    )
    Recipient.objects.bulk_create(
        Recipient(
            envelope=e,
            name=f"R{r}",
            email=f"r{r}@example.com",
            recipient_id=str(r),
            status="created",
        )
        for e in envelopes
        for r in (1, 2)
    )
    ids = [e.docusign_envelope_id for e in envelopes]
    extra = {"DOCUSIGN_SIMULATOR": "false", "ALLOWED_HOSTS": "127.0.0.1"}
    if plan.slice_messages:
        extra["ENVELOPES_CONNECT_SLICE_MESSAGES"] = str(plan.slice_messages)
    env = child_env(database_url, **extra)
    port = free_port()
    path = f"/envelopes/connect/{connection.connect_token}/"
    pending = ConnectEvent.objects.filter(connection=connection, processed_at__isnull=True)
    everything = ConnectEvent.objects.filter(connection=connection)
    samples: list[tuple[float, int, int, float]] = []  # (seconds, stored, backlog, load)
    with gunicorn(env, port, workers=2, threads=4) as url, celery_workers(env, concurrency=2):
        start_at = time.time() + 3  # senders prepare their bodies meanwhile
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            sending = pool.map_async(
                _paced_sender,
                [(url, path, ids, plan.rate, plan.total, int(start_at * 1000))],
            )
            while not sending.ready():
                time.sleep(plan.sample_every)
                if time.time() >= start_at:
                    samples.append(
                        (
                            time.time() - start_at,
                            everything.count(),
                            pending.count(),
                            os.getloadavg()[0],
                        )
                    )
            sent, failed, late = sending.get()[0]
        ended = time.time()
        stored = ConnectEvent.objects.filter(connection=connection).count()
        backlog_at_end = pending.count()
        applied_in_window = stored - backlog_at_end
        while pending.exists() and time.time() - ended < plan.catch_up_seconds:
            time.sleep(0.5)
        caught_up = time.time() - ended
        left = pending.count()
    last = ConnectEvent.objects.filter(connection=connection).aggregate(last=Max("processed_at"))
    window = ended - start_at
    half = [b for t, _, b, _ in samples if t >= window / 2] or [backlog_at_end]
    # Steady state: from the first sample after a tenth of the run to the end of ingest,
    # messages applied ÷ messages ingested (1.0 when the backlog is as long as it was).
    steady = next((s for s in samples if s[0] >= window / 10), (0.0, 0, 0, 0.0))
    ingested = stored - steady[1]
    applied = ingested - (backlog_at_end - steady[2])
    return {
        "sent": sent,
        "failed": failed,
        "late": late,
        "stored": stored,
        "ingested_per_second": stored / window,
        "applied_per_second": applied_in_window / window,
        "ratio": applied / ingested if ingested else 0.0,
        "steady_from": steady[0],
        "backlog_max": max([b for _, _, b, _ in samples] + [backlog_at_end]),
        "backlog_second_half_mean": statistics.mean(half),
        "backlog_at_end": backlog_at_end,
        "caught_up_seconds": caught_up,
        "left": left,
        "load_start": samples[0][3] if samples else os.getloadavg()[0],
        "load_max": max([s[3] for s in samples] + [0.0]),
        "load_end": os.getloadavg()[0],
        "last_applied": bool(last["last"]),
        "window": window,
    }


def print_sustained(plan: Sustained, result: dict[str, float]) -> None:
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    print(
        f"| ingest, paced at {plan.rate:.0f}/s for {plan.seconds:.0f} s "
        f"(stored / failed requests) | {result['ingested_per_second']:.1f} messages/s "
        f"({int(result['stored'])} / {int(result['failed'])}) | ~{plan.rate:.0f}/s, 0 failed |"
    )
    print(
        f"| applied meanwhile by 2 worker processes | {result['applied_per_second']:.1f} "
        "messages/s | — |"
    )
    print(
        f"| applied/s ÷ ingested/s, from {result['steady_from']:.0f} s to the end of ingest | "
        f"**{result['ratio']:.3f}** | ≥ 1.0 |"
    )
    print(
        f"| backlog: max / mean over the second half / at the end of ingest | "
        f"{int(result['backlog_max'])} / {result['backlog_second_half_mean']:.0f} / "
        f"{int(result['backlog_at_end'])} | flat |"
    )
    print(
        f"| after the last message: all applied in | {result['caught_up_seconds']:.1f} s "
        f"({int(result['left'])} left) | 0 left |"
    )
    print(
        f"| load average (1 min): start / max / end | {result['load_start']:.1f} / "
        f"{result['load_max']:.1f} / {result['load_end']:.1f} | — |"
    )


def run_sustained(plan: Sustained) -> dict[str, float]:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery_app import app

    app.conf.task_always_eager = False
    with bench_database() as database_url:
        result = sustained_run(database_url, plan)
    print_sustained(plan, result)
    return result
