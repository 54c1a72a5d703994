"""The status tracking benchmark's sustained run, in its smoke mode: real gunicorn, a real
Celery worker with 2 processes and no beat (so no sweep), slices of 10 messages: every
message must be applied by drains handing on to each other across processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.processes import OwnRedis

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the benchmark runs real workers: needs PostgreSQL (DATABASE_URL)",
    ),
]


@pytest.fixture
def redis():
    """Its own Redis (broker and cache): no other run's tasks or cache flushes in it."""
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def test_the_sustained_run_smoke_mode_applies_every_message_without_the_sweep(redis):
    database = settings.DATABASES["default"]
    # Its own throw-away database (test_<name>_bench), never the one this test run uses.
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME'].removeprefix('test_')}_bench"
    )
    done = subprocess.run(
        [sys.executable, "benchmarks/tracking.py", "--smoke"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis.url,
            "DJANGO_ENV_FILE": os.devnull,
        },
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(0 left)" in done.stdout
    assert "/ 0) | ~30/s, 0 failed" in done.stdout  # every request stored, none failed
