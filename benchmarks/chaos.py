"""Chaos: 500 sends through 2 Celery worker processes (plus beat) against the simulator under
gunicorn, with, at once: 5% of creates slower than the read timeout, a search lag longer
than the read timeout, burst and hourly 429s (the simulator's own limits, exhausted as other
apps on the account would, with DocuSign's headers; the simulated hour lasts 60 s), 503s,
dropped connections, the worker making a slow create killed with SIGKILL while the create is
in flight and restarted, Redis (our own redis-server, never the shared one) killed and
restarted, and our own database's connections terminated. Reports envelopes at DocuSign per
send, lost, stuck, duplicates, 429s received, and the time until everything settled.
Needs PostgreSQL on loopback and /usr/bin/redis-server.

    .venv/bin/python benchmarks/chaos.py
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from harness import LOGS, ROOT, VENV_BIN, free_port, wait_for_port

from envelopes.composing import prepare

REDIS_PORT = free_port()
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"  # before Django reads it

from harness import bench_database, child_env, gunicorn, serve_simulator_locally, setup_django

setup_django()

from django.db import connection as db
from django.db.models import Q

COUNT = 500
PDF = b"%PDF-1.4\n/sig1/\n%%EOF"
READ_TIMEOUT = 2.0
SETTLE_LIMIT = 900.0  # seconds: give up (and report what is stuck) after this
SHORT_HOUR = 60  # the simulated hour, so an exhausted hourly limit comes back within the run
HOURLY_AT = (200, 400)  # sends queued when other apps exhaust the hourly limit
BURST_AT = (60, 300, 450)  # ... and a burst window


@contextmanager
def own_redis(port: int) -> Iterator["Redis"]:
    redis = Redis(port)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


class Redis:
    """A throw-away redis-server of our own: killing it touches no one else's data."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="chaos-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
        ]
        log = (LOGS / f"chaos-redis-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # SIGKILL: queued tasks in it are lost, as in a crash
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    """A Celery worker (or beat) in its own process group, so SIGKILL takes all of it."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name, self.args, self.env = name, args, env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (LOGS / f"chaos-{self.name}.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def celery(kind: str, name: str, env: dict[str, str], tmp: Path) -> Worker:
    base = [str(VENV_BIN / "celery"), "-A", "config", kind, "--loglevel=WARNING"]
    if kind == "worker":
        extra = ["--concurrency=2", "--without-gossip", "--without-mingle", f"-n{name}@%h"]
    else:
        extra = [f"--schedule={tmp / 'beat-schedule'}"]
    return Worker(name, base + extra, env)


def terminate_our_database_connections() -> int:
    """pg_terminate_backend, only ever within this benchmark's own database."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def kill_the_worker_creating(workers: list[Worker], events: list[str]) -> Worker:
    """Make the next create slow, wait until the simulator says it is in flight, find the
    worker running that envelope's send (Celery's remote control), and SIGKILL it."""
    from config.celery_app import app
    from envelopes.models import Envelope
    from simulator import control

    fault = control.slow_creates(seconds=READ_TIMEOUT * 4)
    deadline = time.monotonic() + 120
    taken = None
    while taken is None and time.monotonic() < deadline:
        time.sleep(0.05)
        taken = control.fault_taken(fault)
    if taken is None:
        events.append("no create started within 120 s: worker 1 SIGKILLed instead")
        workers[0].kill()
        return workers[0]
    started = time.monotonic()
    pk = str(Envelope.objects.filter(subject=taken.taken_for).values_list("pk", flat=True)[0])
    names = [f"{w.name}@{os.uname().nodename}" for w in workers]
    active = app.control.inspect(destination=names, timeout=2.0, limit=len(names)).active() or {}
    victim = next(
        (
            w
            for w, name in zip(workers, names, strict=True)
            if any(pk in map(str, task.get("args", [])) for task in active.get(name, []))
        ),
        None,
    )
    if victim is None:
        events.append(f"no worker reported {pk}'s send as running: worker 1 SIGKILLed instead")
        victim = workers[0]
    victim.kill()  # SIGKILL, its whole process group
    events.append(
        f"{victim.name} SIGKILLed {time.monotonic() - started:.1f} s after the simulator began "
        f"its slow create of '{taken.taken_for}' ({READ_TIMEOUT * 4:.0f} s, read timeout "
        f"{READ_TIMEOUT:.0f} s)"
    )
    return victim


def send_all(connection, sender) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from envelopes.composing.prepare import RecipientInput

    for n in range(COUNT):
        prepare.prepare_envelope(
            connection=connection,
            sender=sender,
            subject=f"Chaos {n}",
            recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
            uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
        )
        yield n


def state() -> dict[str, int]:
    from envelopes.models import Envelope
    from simulator.models import SimEnvelope

    rows = Counter(Envelope.objects.values_list("status", flat=True))
    live = Counter(
        fields.get("countersign_id")
        for fields in SimEnvelope.objects.exclude(status="voided").values_list(
            "custom_fields", flat=True
        )
    )
    ours = {str(pk) for pk in Envelope.objects.values_list("pk", flat=True)}
    return {
        "sent": rows.get("sent", 0),
        "failed": rows.get("failed", 0),
        "stuck": rows.get("queued", 0) + rows.get("sending", 0),
        "at_docusign": sum(live.values()),
        "created": SimEnvelope.objects.count(),
        "duplicates_live": sum(n - 1 for n in live.values() if n > 1),
        "lost": len([pk for pk in ours if live.get(pk, 0) == 0]),
    }


def settled(now: dict[str, int]) -> bool:
    return now["stuck"] == 0 and now["duplicates_live"] == 0 and now["lost"] == now["failed"]


def main() -> None:
    from connections.models import ApiCall, Connection
    from simulator import control
    from simulator.seed import CONNECTION_NAME, seed_simulator
    from tests.factories import UserFactory

    port, site = serve_simulator_locally()
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    events: list[str] = []
    with own_redis(REDIS_PORT) as redis, bench_database() as database_url:
        env = child_env(
            database_url,
            SITE_URL=site,
            REDIS_URL=os.environ["REDIS_URL"],
            DOCUSIGN_READ_TIMEOUT=str(READ_TIMEOUT),
            DOCUSIGN_SEARCH_LAG_SECONDS="5",  # what we assume; the simulator lags 3 s
            DOCUSIGN_BURST_LIMIT="200",  # DocuSign demo's burst limit, shared by all workers
            SIMULATOR_BURST_LIMIT="200",
            SIMULATOR_HOURLY_LIMIT="100000",
            ENVELOPES_SEND_LEASE_SECONDS="30",
            ENVELOPES_QUEUED_GRACE_SECONDS="15",
            ENVELOPES_RETRY_MAX_SECONDS="20",
            ENVELOPES_MAX_SEND_ATTEMPTS="50",
            ENVELOPES_SWEEP_SECONDS="5",
            ENVELOPES_RECONCILE_MINUTES="0.5",
        )
        seed_simulator(site_url=site)
        connection = Connection.objects.get(name=CONNECTION_NAME)
        sender = UserFactory(username="chaos")
        control.configure(
            search_lag_seconds=3.0,  # longer than the read timeout
            slow_create_seconds=READ_TIMEOUT * 2,
            slow_create_percent=5,
            unavailable_percent=2,
            drop_percent=2,
            hourly_window_seconds=SHORT_HOUR,
            # Stated here too (not only in the servers' environment), so that this process
            # exhausts the same limits the simulator enforces.
            hourly_limit=100000,
            burst_limit=200,
        )
        exhausted: list[tuple[str, float, float]] = []  # (limit, from, until) in Unix time

        def exhaust(burst: bool, n: int) -> None:
            begun = time.time()
            until = control.exhaust_limit(connection.account_id, burst=burst)
            kind = "burst" if burst else "hourly"
            exhausted.append((kind, begun, float(until)))
            events.append(
                f"{kind} limit exhausted after {n} sends queued (429s for {until - begun:.0f} s)"
            )

        workers = [celery("worker", f"w{n}", env, tmp) for n in (1, 2)]
        beat = celery("beat", "beat", env, tmp)
        with gunicorn(env, port, workers=2, threads=8):
            for process in [*workers, beat]:
                process.start()
            time.sleep(4)
            started = time.monotonic()
            victim = workers[0]
            for n in send_all(connection, sender):
                if n == 120:
                    victim = kill_the_worker_creating(workers, events)
                if n == 160:
                    victim.start()
                    events.append(f"{victim.name} restarted")
                if n in HOURLY_AT or n in BURST_AT:
                    exhaust(burst=n in BURST_AT, n=n)
                if n == 250:
                    redis.kill()
                    events.append(f"Redis killed after {n} sends queued")
                if n == 262:
                    redis.start()
                    events.append("Redis restarted (empty: its queued tasks were lost)")
                if n in (300, 350, 400, 450):
                    killed = terminate_our_database_connections()
                    events.append(f"pg_terminate_backend: {killed} connections of our database")
                if 250 <= n < 262:
                    time.sleep(0.5)  # Redis stays down ~6 s while sends keep coming
            queued_in = time.monotonic() - started
            now = state()
            while not settled(now) and time.monotonic() - started < SETTLE_LIMIT:
                time.sleep(2)
                now = state()
            settle = time.monotonic() - started
            for process in [*workers, beat]:
                process.kill(signal.SIGTERM)
        calls = ApiCall.objects.all()
        refused = list(
            calls.filter(
                Q(status_code=429) | Q(error_code__icontains="LIMIT_EXCEEDED")
            ).values_list("error_code", "created_at")
        )

        def planned(at: datetime) -> bool:  # inside a window we exhausted (2 s of slack)
            t = at.timestamp()
            return any(begun - 2 <= t <= until + 2 for _, begun, until in exhausted)

        hourly = sum(1 for code, _ in refused if code.upper().startswith("HOURLY_API"))
        burst = sum(1 for code, _ in refused if code.upper().startswith("BURST_API"))
        unplanned = sum(1 for _, at in refused if not planned(at))
        creates = calls.filter(method="POST", path="/envelopes").count()
        lookups = calls.filter(method="GET", path="/envelopes").count()
    print("\n".join(f"- {e}" for e in events))
    print(f"- all {COUNT} sends queued in {queued_in:.0f} s\n")
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    print(
        f"| envelopes at DocuSign per send (not voided) | {now['at_docusign'] / COUNT:.3f} "
        "| 1.000 |"
    )
    print(
        f"| sent / failed visibly / lost / stuck | {now['sent']} / {now['failed']} / "
        f"{now['lost'] - now['failed']} / {now['stuck']} | {COUNT} / 0 / 0 / 0 |"
    )
    print(
        f"| duplicates created / voided by reconciliation / left | "
        f"{now['created'] - COUNT} / {now['created'] - now['at_docusign']} / "
        f"{now['duplicates_live']} | 0 left |"
    )
    kinds = Counter(kind for kind, _, _ in exhausted)
    print(
        f"| 429s received while the hourly limit was exhausted ({kinds['hourly']}×) / the burst "
        f"window ({kinds['burst']}×) | {hourly} / {burst} | as few as calls in flight |"
    )
    print(f"| rate-limit answers outside those windows | {unplanned} | 0 (shared budget) |")
    print(f"| creates / look-ups | {creates} / {lookups} | — |")
    print(f"| time until everything settled | {settle:.0f} s | — |")
    if not settled(now):
        print(f"\nNOT SETTLED after {SETTLE_LIMIT:.0f} s: {now}", file=sys.stderr)


if __name__ == "__main__":
    main()
