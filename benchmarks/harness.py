"""Shared set-up for benchmarks: a throw-away PostgreSQL database, and real processes
(gunicorn serving Countersign with the simulator, Celery workers) on loopback."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
LOGS = Path(tempfile.gettempdir())  # the servers' logs, for when a run goes wrong


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DOCUSIGN_SIMULATOR", "true")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ.setdefault(
        "DATABASE_URL", "postgres://countersign:countersign@127.0.0.1:5432/countersign"
    )
    import django

    django.setup()


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh, migrated database (test_<name>), dropped afterwards; yields its URL."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    name = connection.settings_dict["NAME"]
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_simulator_locally() -> tuple[int, str]:
    """Point this process at a Countersign + simulator about to be served on a free port,
    with Celery tasks sent to real workers; returns the port and the site's URL."""
    from django.conf import settings

    from config.celery_app import app

    port = free_port()
    site = f"http://127.0.0.1:{port}"
    settings.SITE_URL = site
    settings.DOCUSIGN_DEMO_AUTH_SERVER = f"{site}/simulator"
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [*settings.DOCUSIGN_ALLOWED_API_HOSTS, "127.0.0.1"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    return port, site


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_ENV_FILE": os.devnull}
    env.update(extra)
    return env


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def gunicorn(
    env: dict[str, str],
    port: int,
    *,
    workers: int = 2,
    threads: int = 8,
    app: str = "config.wsgi",
) -> Iterator[str]:
    args = [
        str(VENV_BIN / "gunicorn"),
        app,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--log-level=warning",
    ]
    with process(args, env, LOGS / f"bench-gunicorn-{port}.log"):
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"


@contextmanager
def celery_workers(env: dict[str, str], *, concurrency: int = 2) -> Iterator[None]:
    args = [
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "worker",
        f"--concurrency={concurrency}",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    with process(args, env, LOGS / "bench-celery.log"):
        time.sleep(3)  # let the worker connect to the broker
        yield
