"""Token benchmarks: cached lookup latency, mints under contention, assertion signing.

    make bench        (or: .venv/bin/python benchmarks/tokens.py)

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/15) and the database from
DATABASE_URL; it creates one throw-away connection and deletes it afterwards.
"""

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connections as db_connections

from connections import keys, tokens
from connections.docusign.auth import build_assertion
from connections.models import Connection
from tests.support.token_server import TokenServer
from tests.support.token_worker import ask_for_tokens

PROCESSES, THREADS, ASKS, EXPIRIES = 8, 4, 500, 2


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def contended_mints(conn: Connection, server: TokenServer, *, naive: bool) -> int:
    """8 processes × 4 threads ask ASKS times in all, over 1 + EXPIRIES token lifetimes."""
    ctx = multiprocessing.get_context("spawn")
    before = server.mints
    rounds = 1 + EXPIRIES
    for _ in range(rounds):
        tokens.drop_cached_token(conn)  # the token expires (and every per-process cache too)
        out = ctx.Queue()
        args = {
            "db_name": db_connections["default"].settings_dict["NAME"],
            "connection_pk": conn.pk,
            "auth_url": server.url,
            "threads": THREADS,
            "asks": -(-ASKS // rounds),
            "out": out,
            "naive": naive,
        }
        procs = [ctx.Process(target=ask_for_tokens, kwargs=args) for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        for _ in procs:
            out.get(timeout=120)
        for p in procs:
            p.join(timeout=120)
    return server.mints - before


def main() -> None:
    call_command("migrate", verbosity=0)
    pair = keys.generate_keypair()
    conn = Connection.objects.create(
        name=f"benchmark-{os.getpid()}",
        integration_key="1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718",
        user_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        account_id="a4ec37d6-0000-0000-0000-000000000002",
        base_uri="https://demo.docusign.net",
        private_key=pair.private_pem,
        key_fingerprint=pair.fingerprint,
    )
    try:
        with TokenServer() as server:
            settings.DOCUSIGN_DEMO_AUTH_SERVER = server.url
            tokens.get_access_token(conn)
            samples = []
            for _ in range(5000):
                started = time.perf_counter()
                tokens.get_access_token(conn)
                samples.append((time.perf_counter() - started) * 1e6)
            shared = contended_mints(conn, server, naive=False)
            naive = contended_mints(conn, server, naive=True)
        signing = []
        for _ in range(200):
            started = time.perf_counter()
            build_assertion(
                private_key_pem=pair.private_pem,
                integration_key=conn.integration_key,
                user_id=conn.user_id,
                auth_server="https://account-d.docusign.com",
                scopes="signature impersonation",
            )
            signing.append((time.perf_counter() - started) * 1e6)
    finally:
        tokens.drop_cached_token(conn)
        conn.delete()

    lifetimes = 1 + EXPIRIES
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    print(
        f"| cached token lookup (Redis), median / p99 | {statistics.median(samples):.0f} µs / "
        f"{percentile(samples, 99):.0f} µs | — |"
    )
    print(
        f"| mints, {PROCESSES} processes × {THREADS} threads, {ASKS} asks each, "
        f"{lifetimes} token lifetimes: shared cache | {shared} ({shared / lifetimes:.0f} per "
        f"expiry) | 1 per expiry |"
    )
    print(
        f"| same, per-process cache (naive baseline) | {naive} | ≥ 8× the shared count "
        f"(here {naive / max(shared, 1):.0f}×) |"
    )
    print(
        f"| assertion signing (RS256, 2048-bit, key cached), median | "
        f"{statistics.median(signing):.0f} µs | — |"
    )


if __name__ == "__main__":
    main()
