"""The production configuration, from the Procfile: the same commands as the systemd units
and docs/operations.md, and a real run (gunicorn, a worker, beat, PostgreSQL, our own Redis) whose
/readyz is green, turns 503 when Redis or the worker goes away and green when they return."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from configparser import ConfigParser
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis import Redis

from ops.heartbeat import BEAT_KEY
from tests.support.processes import free_port, redis_server, wait_for

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALL = "/opt/countersign/.venv/bin/"


def procfile():
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def test_procfile_has_exactly_the_processes_described():
    assert list(procfile()) == ["release", "web", "worker", "beat"]


@pytest.mark.parametrize("name", ["release", "web", "worker", "beat"])
def test_each_systemd_unit_runs_the_procfile_command(name):
    unit = ConfigParser(strict=False, interpolation=None)
    unit.read(UNITS / f"countersign-{name}.service")
    exec_start = unit["Service"]["ExecStart"]
    assert exec_start.startswith(INSTALL)
    assert exec_start.removeprefix(INSTALL) == procfile()[name]
    assert unit["Service"]["EnvironmentFile"] == "/etc/countersign/env"


def test_the_readme_operations_page_shows_the_procfile():
    """The README's production material lives in docs/operations.md, under "## Processes"."""
    page = (ROOT / "docs" / "operations.md").read_text()
    section = page[page.index("\n## Processes\n") + 1 :]
    section = section[: section.find("\n## ", 4)] if "\n## " in section[4:] else section
    for name, command in procfile().items():
        assert f"{name}: {command}" in section


# --- A real production run --------------------------------------------------------------


def database_url(settings_dict):
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
        f"{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


class Production:
    """The Procfile's processes, each started as its line says, in its own process group."""

    def __init__(self, env, logs):
        self.env = env
        self.logs = logs
        self.procs = {}

    def command(self, name):
        return procfile()[name]

    def run(self, name):
        return subprocess.run(  # noqa: S603
            ["/bin/sh", "-c", self.command(name)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self, name, key=None):
        key = key or name
        with (self.logs / f"{key}.log").open("ab") as log:
            self.procs[key] = subprocess.Popen(  # noqa: S603
                ["/bin/sh", "-c", "exec " + self.command(name)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.procs[key]

    def kill(self, key):
        proc = self.procs.pop(key)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self):
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for key, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            self.procs.pop(key)

    def log(self, key):
        return (self.logs / f"{key}.log").read_text(errors="replace")


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, {}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_production_from_the_procfile_is_ready_and_notices_outages(tmp_path, settings):
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("the production run needs PostgreSQL (DATABASE_URL)")
    with redis_server() as redis:
        port = free_port()
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "DJANGO_ENV_FILE": os.devnull,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "countersign.test",
            "SITE_URL": "https://countersign.test",
            "DATABASE_URL": database_url(db),
            "REDIS_URL": redis.url,
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "CELERY_WORKER_CONCURRENCY": "1",
            "OPS_HEARTBEAT_SECONDS": "1",
            "OPS_HEARTBEAT_STALE_SECONDS": "3",
            "OPS_BEAT_LOCK_SECONDS": "3",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
            "CONN_MAX_AGE": "0",
            "LOG_FORMAT": "json",
        }
        prod = Production(env, tmp_path)
        released = prod.run("release")
        assert released.returncode == 0, released.stderr
        timings = {}
        try:
            for name in ("web", "worker", "beat"):
                prod.start(name)

            def ready():
                status, body = readyz(port)
                return status == 200 and body

            def not_ready(check):
                def probe():
                    status, body = readyz(port)
                    return status == 503 and not body["checks"][check]["ok"] and body

                return probe

            def logs():
                return "\n".join(f"--- {k}\n{prod.log(k)[-3000:]}" for k in prod.procs)

            try:
                body = wait_for(ready, timeout=90, what="/readyz green", every=0.5)
            except AssertionError:
                raise AssertionError(f"never ready: {readyz(port)}\n{logs()}") from None
            assert set(body["checks"]) == {"database", "redis", "broker", "worker"}
            # Beat is reported, not a reason for a web node to leave the load balancer.
            assert set(body["reported"]) == {"beat"}

            # A second beat waits on the lock: it schedules nothing while the first runs.
            prod.start("beat", key="beat2")
            wait_for(lambda: "standby" in prod.log("beat2"), timeout=30, what="beat2 on standby")

            # The worker goes away, then comes back.
            prod.kill("worker")
            started = time.monotonic()
            body = wait_for(not_ready("worker"), timeout=20, what="503 without a worker")
            timings["worker gone -> 503"] = time.monotonic() - started
            assert body["checks"]["redis"]["ok"]
            prod.start("worker")
            started = time.monotonic()
            wait_for(ready, timeout=60, what="green with the worker back", every=0.5)
            timings["worker back -> 200"] = time.monotonic() - started

            # Redis goes away, then comes back (same port, empty: like a restart).
            redis.kill()
            started = time.monotonic()
            body = wait_for(not_ready("redis"), timeout=20, what="503 without Redis")
            timings["redis gone -> 503"] = time.monotonic() - started
            assert body["checks"]["database"]["ok"]
            redis.start()
            started = time.monotonic()
            wait_for(ready, timeout=90, what="green with Redis back", every=0.5)
            timings["redis back -> 200"] = time.monotonic() - started

            # The scheduling beat dies: the standby takes over once the lock runs out.
            r = Redis.from_url(redis.url)

            def beat_pid():
                raw = r.get(BEAT_KEY)
                return json.loads(raw)["pid"] if raw else None

            leader = wait_for(beat_pid, timeout=10, what="a beat heartbeat")
            dead, standby = (
                ("beat", "beat2") if prod.procs["beat"].pid == leader else ("beat2", "beat")
            )
            standby_pid = prod.procs[standby].pid
            prod.kill(dead)
            started = time.monotonic()
            wait_for(lambda: beat_pid() == standby_pid, timeout=30, what="the standby beat")
            timings["beat killed -> standby schedules"] = time.monotonic() - started
            r.close()
            wait_for(ready, timeout=30, what="green with the standby beat", every=0.5)
        finally:
            prod.stop_all()
        print("\n" + "\n".join(f"{k}: {v:.1f} s" for k, v in timings.items()))  # noqa: T201
        for key in ("web", "worker", "beat", "beat2"):
            text = prod.log(key)
            assert env["DJANGO_SECRET_KEY"] not in text
            assert env["FIELD_ENCRYPTION_KEYS"] not in text
        # LOG_FORMAT=json: gunicorn's and the app's lines are JSON, access lines carry the id.
        lines = [json.loads(line) for line in prod.log("web").splitlines() if line[:1] == "{"]
        probes = [line for line in lines if "GET /readyz" in line["message"]]
        assert probes
        assert all(line["request_id"] != "-" for line in probes)
        assert f"rid={probes[0]['request_id']}" in probes[0]["message"]
