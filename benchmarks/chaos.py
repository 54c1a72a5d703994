"""Chaos: 500 sends through 2 Celery worker processes (plus beat) against the simulator under
gunicorn, from two connections on one DocuSign account, with, at once: 5% of creates slower
than the read timeout, a search lag longer than the read timeout, burst and hourly 429s (the
simulator's own limits, exhausted as other apps on the account would, with DocuSign's
headers; the simulated hour lasts 60 s), 503s, dropped connections, the worker making a slow
create killed with SIGKILL while the create is in flight and restarted, Redis (our own
redis-server, never the shared one) killed and restarted, our own database's connections
terminated; envelopes of another installation and of older code on the account; a signed
Connect message about an envelope purged at DocuSign amid ordinary ones; consent withdrawn
for ~20 s and a connection "not ready" for a while. Reports envelopes at DocuSign per send,
lost, stuck, duplicates, what reconciliation voided and left alone, Connect messages blocked
and parked, work that waited and the emails about it, 429s, and the time until everything
settled. Needs PostgreSQL on loopback and /usr/bin/redis-server. Exits 1 if a target is
missed. `--smoke`: 40 sends and shorter windows (about a minute), for the test suite.

    .venv/bin/python benchmarks/chaos.py [--smoke]
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from harness import LOGS, ROOT, VENV_BIN, free_port, wait_for_port

REDIS_PORT = free_port()
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"  # before Django reads it

from harness import bench_database, child_env, gunicorn, serve_simulator_locally, setup_django

setup_django()

import chaos_account as account
from django.db import connection as db
from django.db.models import Q

PDF = b"%PDF-1.4\n/sig1/\n%%EOF"
READ_TIMEOUT = 2.0


@dataclass(frozen=True)
class Plan:
    """When each fault strikes, by the number of sends queued so far."""

    count: int
    kill_worker_at: int  # the worker making a slow create is SIGKILLed …
    restart_worker_at: int  # … and restarted
    hourly_at: tuple[int, ...]  # other apps exhaust the hourly limit
    burst_at: tuple[int, ...]  # … and a burst window
    hour_seconds: int  # the simulated hour, so an exhausted hour comes back within the run
    redis_down: tuple[int, int]  # killed at, restarted (empty) at
    pg_terminate_at: tuple[int, ...]
    foreign_at: int  # another installation's and older code's envelopes appear
    foreign_count: int  # of each
    purge_at: int  # an envelope is purged and a signed message about it posted …
    ordinary_after_purge: int  # … followed by this many ordinary ones
    consent_at: int  # consent withdrawn (both users) …
    consent_seconds: float  # … for this long, then granted again
    not_ready_at: int  # the second connection is not ready …
    not_ready_seconds: float  # … for this long
    pace_seconds: float  # between sends while Redis is down or a window is open
    poll_seconds: float  # ENVELOPES_SIMULATOR_POLL_SECONDS: listings (and reconciliation)
    settle_limit: float  # give up (and report what is stuck) after this many seconds


FULL = Plan(
    count=500,
    kill_worker_at=120,
    restart_worker_at=160,
    hourly_at=(200, 400),
    burst_at=(60, 300, 450),
    hour_seconds=60,
    redis_down=(250, 262),
    pg_terminate_at=(300, 350, 400, 450),
    foreign_at=100,
    foreign_count=10,
    purge_at=220,
    ordinary_after_purge=20,
    consent_at=330,
    consent_seconds=20,
    not_ready_at=440,
    not_ready_seconds=10,
    pace_seconds=0.2,
    poll_seconds=30,
    settle_limit=900,
)
SMOKE = Plan(
    count=40,
    kill_worker_at=6,
    restart_worker_at=9,
    hourly_at=(14,),
    burst_at=(),
    hour_seconds=6,
    redis_down=(36, 38),
    pg_terminate_at=(28,),
    foreign_at=10,
    foreign_count=4,
    purge_at=12,
    ordinary_after_purge=4,
    consent_at=17,
    consent_seconds=6,
    not_ready_at=30,
    not_ready_seconds=5,
    pace_seconds=0.4,
    poll_seconds=8,
    settle_limit=150,
)
PLAN = SMOKE if "--smoke" in sys.argv else FULL
COUNT = PLAN.count
SETTLE_LIMIT = PLAN.settle_limit
SHORT_HOUR = PLAN.hour_seconds
HOURLY_AT = PLAN.hourly_at
BURST_AT = PLAN.burst_at


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

    def exited(self) -> bool:
        """It stopped by itself (not killed by us)."""
        return self.proc is not None and self.proc.poll() is not None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def supervise(processes: list[Worker], events: list[str]) -> None:
    """What systemd does in production (deploy/systemd: Restart=always): a worker or beat
    that exited by itself is started again; each such exit is reported."""
    for process in processes:
        if process.exited():
            code = process.proc.returncode if process.proc else None
            process.start()
            events.append(f"{process.name} exited by itself (code {code}); restarted")


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


def send_all(connections, sender) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """Queue the sends; every third one goes through the second connection."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from envelopes.composing.prepare import RecipientInput, prepare_envelope

    for n in range(COUNT):
        prepare_envelope(
            connection=connections[1] if n % 3 == 2 else connections[0],
            sender=sender,
            subject=f"Chaos {n}",
            recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
            uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
        )
        yield n


def state(purged_pk: str) -> dict[str, int]:
    """Counts over our rows and the envelopes carrying our installation id (the purged one's
    row, whose envelope DocuSign no longer has, is left out of `lost`)."""
    from connections.installation import installation_id
    from envelopes.models import Envelope
    from envelopes.sending.definitions import CUSTOM_FIELD, INSTALLATION_FIELD
    from simulator.models import SimEnvelope

    ours_id = installation_id()
    rows = Counter(Envelope.objects.values_list("status", flat=True))
    ours = [
        (status, fields.get(CUSTOM_FIELD))
        for status, fields in SimEnvelope.objects.values_list("status", "custom_fields")
        if fields.get(INSTALLATION_FIELD) == ours_id
    ]
    live = Counter(owner for status, owner in ours if status != "voided")
    pks = {str(pk) for pk in Envelope.objects.values_list("pk", flat=True)} - {purged_pk}
    return {
        "sent": rows.get("sent", 0),
        "failed": rows.get("failed", 0),
        "stuck": rows.get("queued", 0) + rows.get("sending", 0),
        "at_docusign": sum(live.values()),
        "created": len(ours) + (1 if purged_pk else 0),
        "duplicates_live": sum(n - 1 for n in live.values() if n > 1),
        "lost": len([pk for pk in pks if live.get(pk, 0) == 0]),
        "connect_unsettled": account.connect_unsettled(),
    }


def settled(now: dict[str, int]) -> bool:
    return (
        now["stuck"] == 0
        and now["duplicates_live"] == 0
        and now["lost"] == now["failed"]
        and now["connect_unsettled"] == 0
    )


class Chaos:
    """The faults of one run, struck as sends are queued (`strike`) and ended on time
    (`tick`, called between sends and while waiting for everything to settle)."""

    def __init__(self, *, redis: Redis, connections: list, app, tmp: Path, env) -> None:  # type: ignore[no-untyped-def,type-arg]
        self.redis, self.connections, self.app = redis, connections, app
        self.first, self.second = connections
        self.events: list[str] = []
        self.exhausted: list[tuple[str, float, float]] = []  # (limit, from, until), Unix time
        self.consent = account.Window("consent withdrawn", PLAN.consent_seconds)
        self.not_ready = account.Window("second connection not ready", PLAN.not_ready_seconds)
        self.base_uri = ""
        self.foreign = account.Foreign()
        self.purged = ("", "")
        self.workers = [celery("worker", f"w{n}", env, tmp) for n in (1, 2)]
        self.beat = celery("beat", "beat", env, tmp)
        self.victim = self.workers[0]

    @property
    def processes(self) -> list[Worker]:
        return [*self.workers, self.beat]

    @property
    def windows_open(self) -> bool:
        return self.consent.open or self.not_ready.open

    def strike(self, n: int, site: str) -> None:
        """The faults due after `n` sends were queued."""
        if n == PLAN.kill_worker_at:
            self.victim = kill_the_worker_creating(self.workers, self.events)
        if n == PLAN.restart_worker_at:
            self.victim.start()
            self.events.append(f"{self.victim.name} restarted")
        if n in HOURLY_AT or n in BURST_AT:
            self.exhaust(burst=n in BURST_AT, n=n)
        if n == PLAN.foreign_at:
            self.foreign = account.make_foreign(self.first.account_id, PLAN.foreign_count)
            self.events.append(
                f"{PLAN.foreign_count} envelopes of another installation and "
                f"{PLAN.foreign_count} of older code made at DocuSign ({self.foreign.named_rows} "
                "of each naming a linked row of ours, the rest no row)"
            )
        if n == PLAN.purge_at:
            self.purged = account.purge_and_post(self.first, site, PLAN.ordinary_after_purge)
            self.events.append(
                f"envelope {self.purged[1]} purged at DocuSign; a signed message about it "
                f"posted, then {PLAN.ordinary_after_purge} ordinary ones"
            )
        if n == PLAN.redis_down[0]:
            self.redis.kill()
            self.events.append(f"Redis killed after {n} sends queued")
        if n == PLAN.redis_down[1]:
            self.redis.start()
            self.events.append("Redis restarted (empty: its queued tasks were lost)")
        if n in PLAN.pg_terminate_at:
            killed = terminate_our_database_connections()
            self.events.append(f"pg_terminate_backend: {killed} connections of our database")
        self.open_windows(n)
        self.tick()
        if PLAN.redis_down[0] <= n < PLAN.redis_down[1] or self.windows_open:
            time.sleep(PLAN.pace_seconds)  # sends keep coming while the fault lasts

    def exhaust(self, *, burst: bool, n: int) -> None:
        from simulator import control

        begun = time.time()
        until = control.exhaust_limit(self.first.account_id, burst=burst)
        kind = "burst" if burst else "hourly"
        self.exhausted.append((kind, begun, float(until)))
        self.events.append(
            f"{kind} limit exhausted after {n} sends queued (429s for {until - begun:.0f} s)"
        )

    def open_windows(self, n: int) -> None:
        if n == PLAN.consent_at:
            self.consent.opened_at = time.time()
            withdrawn = account.withdraw_consent(self.app)
            self.events.append(f"consent withdrawn ({withdrawn} users) after {n} sends queued")
        if n == PLAN.not_ready_at:
            # A new outage: after the consent one is over, for us and for the product (a
            # check passed and its work resumed); overlapping, they would be one outage.
            while self.consent.open:
                self.tick()
                time.sleep(0.5)
            if not account.resumed(self.second, timeout=90, tick=self.tick):
                self.events.append(f"{self.second.name} not resumed 90 s after consent came back")
            self.not_ready.opened_at = time.time()
            self.base_uri = account.unready(self.second)
            self.events.append(f"{self.second.name} made not ready after {n} sends queued")

    def tick(self) -> None:
        """End the windows that are due; restart what exited by itself (as systemd would)."""
        if self.consent.due():
            account.grant_again(self.app, self.connections)
            self.consent.closed_at = time.time()
            self.events.append(f"consent granted again after {PLAN.consent_seconds:.0f} s")
        if self.not_ready.due():
            account.ready_again(self.second, self.base_uri)
            self.not_ready.closed_at = time.time()
            self.events.append(
                f"{self.second.name} ready again after {PLAN.not_ready_seconds:.0f} s"
            )
        if self.not_ready.closed_at and not account.still_ready(self.second, self.base_uri):
            account.ready_again(self.second, self.base_uri)
            self.events.append(
                f"{self.second.name}'s restored base URI was saved over (a connection check "
                "saves the whole row): restored again"
            )
        supervise(self.processes, self.events)

    def rate_limit_answers(self) -> tuple[int, int, int]:
        """429s met while the hourly limit / a burst window was exhausted, and outside."""
        from connections.models import ApiCall

        refused = list(
            ApiCall.objects.filter(
                Q(status_code=429) | Q(error_code__icontains="LIMIT_EXCEEDED")
            ).values_list("error_code", "created_at")
        )

        def planned(at: datetime) -> bool:  # inside a window we exhausted (2 s of slack)
            t = at.timestamp()
            return any(begun - 2 <= t <= until + 2 for _, begun, until in self.exhausted)

        hourly = sum(1 for code, _ in refused if code.upper().startswith("HOURLY_API"))
        burst = sum(1 for code, _ in refused if code.upper().startswith("BURST_API"))
        return hourly, burst, sum(1 for _, at in refused if not planned(at))


def main() -> int:
    from connections.models import ApiCall, Connection
    from simulator import control
    from simulator.models import SimApp
    from simulator.seed import CONNECTION_NAME, seed_simulator
    from tests.factories import UserFactory

    port, site = serve_simulator_locally()
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    with own_redis(REDIS_PORT) as redis, bench_database() as database_url:
        env = child_env(
            database_url,
            SITE_URL=site,
            REDIS_URL=os.environ["REDIS_URL"],
            EMAIL_URL=f"filemail:///{mail_dir}",  # counted: emails about waiting work
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
            ENVELOPES_CONNECTION_RECHECK_SECONDS="5",
            ENVELOPES_POLL_TICK_SECONDS="5",
            # Below DocuSign's 15 minutes: honoured only against the simulator.
            ENVELOPES_SIMULATOR_POLL_SECONDS=str(PLAN.poll_seconds),
        )
        seed_simulator(site_url=site)
        first = Connection.objects.get(name=CONNECTION_NAME)
        connections = [first, account.second_connection(first)]
        app = SimApp.objects.get(integration_key=first.integration_key)
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
        chaos = Chaos(redis=redis, connections=connections, app=app, tmp=tmp, env=env)
        with gunicorn(env, port, workers=2, threads=8):
            for process in chaos.processes:
                process.start()
            time.sleep(4)
            started = time.monotonic()
            for n in send_all(connections, sender):
                chaos.strike(n, site)
            queued_in = time.monotonic() - started
            now = state(chaos.purged[0])
            while (not settled(now) or chaos.windows_open) and (
                time.monotonic() - started < SETTLE_LIMIT
            ):
                time.sleep(1)
                chaos.tick()
                now = state(chaos.purged[0])
            settle = time.monotonic() - started
            for process in chaos.processes:
                process.kill(signal.SIGTERM)
        measures = account.measure(
            foreign=chaos.foreign,
            purged=chaos.purged,
            connections=connections,
            windows=[
                (connections[0].name, chaos.consent),
                (connections[1].name, chaos.consent),
                (connections[1].name, chaos.not_ready),
            ],
            mail_dir=mail_dir,
        )
        limits = chaos.rate_limit_answers()
        calls = ApiCall.objects.all()
        creates = calls.filter(method="POST", path="/envelopes").count()
        listings = calls.filter(method="GET", path="/envelopes").count()
    print("\n".join(f"- {e}" for e in chaos.events))
    print(f"- all {COUNT} sends queued in {queued_in:.0f} s\n")
    report(
        now=now,
        m=measures,
        names=[c.name for c in connections],
        limits=limits,
        calls=(creates, listings),
        settle=settle,
    )
    missed = missed_targets(now, measures, unplanned=limits[2])
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    return 1 if missed else 0


def report(
    *,
    now: dict[str, int],
    m: "account.Measures",
    names: list[str],
    limits: tuple[int, int, int],
    calls: tuple[int, int],
    settle: float,
) -> None:
    emails = " / ".join(str(m.emails.get(name, 0)) for name in names)
    outages = " / ".join(str(m.outages_met.get(name, 0)) for name in names)
    rows = [
        (
            "envelopes at DocuSign per send (not voided; the purged one left out)",
            f"{now['at_docusign'] / (COUNT - 1):.3f}",
            "1.000",
        ),
        (
            "sent / failed visibly / lost / stuck",
            f"{now['sent']} / {now['failed']} / {now['lost'] - now['failed']} / {now['stuck']}",
            f"{COUNT} / 0 / 0 / 0",
        ),
        (
            "duplicates created / voided by reconciliation / left",
            f"{now['created'] - COUNT} / {m.duplicates_voided} / {now['duplicates_live']}",
            "0 left",
        ),
        (
            "envelopes of ours voided that were not duplicates of a row of ours",
            str(m.ours_voided_not_duplicates),
            "0",
        ),
        (
            f"voided of {PLAN.foreign_count} another installation's / "
            f"{PLAN.foreign_count} older code's envelopes",
            f"{m.other_installation_voided} / {m.older_code_voided}",
            "0 / 0",
        ),
        (
            "Connect messages blocked (neither applied nor parked) / parked",
            f"{m.connect_blocked} / {m.connect_parked}"
            + (" (the purged envelope's)" if m.purged_parked else " (not the purged one's)"),
            "0 / 1",
        ),
        (
            "sends that waited for their connection / then sent / failed",
            f"{m.waited} / {m.waited_sent} / {now['failed']}",
            "all sent, 0 failed",
        ),
        (
            "emails about waiting work, per connection (first / second)",
            f"{emails} (outages met by work: {outages})",
            "one per outage met",
        ),
        (
            f"429s received while the hourly limit was exhausted ({len(HOURLY_AT)}×) / the "
            f"burst window ({len(BURST_AT)}×)",
            f"{limits[0]} / {limits[1]}",
            "as few as calls in flight",
        ),
        ("rate-limit answers outside those windows", str(limits[2]), "0 (shared budget)"),
        ("creates / listStatusChanges (look-ups and listings)", f"{calls[0]} / {calls[1]}", "—"),
        ("time from the first send until everything settled", f"{settle:.0f} s", "—"),
    ]
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    for row in rows:
        print(f"| {' | '.join(row)} |")


def missed_targets(now: dict[str, int], m: "account.Measures", *, unplanned: int) -> list[str]:
    missed = []
    if not settled(now):
        missed.append(f"not settled after {SETTLE_LIMIT:.0f} s: {now}")
    checks = {
        "sends failed": now["failed"],
        "envelopes of ours voided that were not duplicates": m.ours_voided_not_duplicates,
        "other installation's envelopes voided": m.other_installation_voided,
        "older code's envelopes voided": m.older_code_voided,
        "Connect messages blocked": m.connect_blocked,
        "waiting sends not sent": m.waited - m.waited_sent,
        "rate-limit answers outside the windows": unplanned,
    }
    missed += [f"{what}: {n}" for what, n in checks.items() if n]
    if not m.purged_parked or m.connect_parked != 1:
        missed.append(f"parked {m.connect_parked}, the purged message's parked: {m.purged_parked}")
    if m.emails != m.outages_met:
        missed.append(f"emails {m.emails} for outages met {m.outages_met}")
    return missed


if __name__ == "__main__":
    sys.exit(main())
