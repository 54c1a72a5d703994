"""The chaos benchmark in its smoke mode: two connections on one account, envelopes of another
installation and of older code, a signed Connect message about a purged envelope, consent
withdrawn and a connection not ready, among the benchmark's other faults (a worker SIGKILLed
mid-create, Redis killed, database connections terminated, 429s, 503s, dropped answers).
Real gunicorn, Celery workers and beat, its own redis-server; about a minute."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the benchmark runs real workers: needs PostgreSQL (DATABASE_URL)",
    ),
    pytest.mark.skipif(
        not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()),
        reason="the benchmark kills and restarts a redis-server of its own: needs redis-server",
    ),
]


def test_the_chaos_smoke_run_voids_only_duplicates_blocks_nothing_and_fails_no_send():
    database = settings.DATABASES["default"]
    # Its own throw-away database (test_<name>_chaos), never the one this test run uses.
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME'].removeprefix('test_')}_chaos"
    )
    done = subprocess.run(
        [sys.executable, "benchmarks/chaos.py", "--smoke"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_ENV_FILE": os.devnull},
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    out = done.stdout
    # The benchmark exits 1 when any target is missed, and says which (MISSED: …).
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert "| sent / failed visibly / lost / stuck | 40 / 0 / 0 / 0 |" in out
    assert "| envelopes of ours voided that were not duplicates of a row of ours | 0 |" in out
    assert "older code's envelopes | 0 / 0 |" in out
    assert "| 0 / 1 (the purged envelope's) |" in out  # none blocked, the purged one parked
    assert "consent withdrawn (2 users)" in out
    assert "made at DocuSign (2 of each naming a linked row of ours" in out
