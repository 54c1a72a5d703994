"""Readiness checks: each one fast (short timeouts, no DocuSign call) and safe to show.

A check answers ok/not ok with a short detail that names the problem, never a URL,
password or message from a library (those can carry credentials).
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis
from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from ops import heartbeat


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_migrated = False  # once all migrations are applied, they stay applied for this process


def check_database() -> tuple[bool, str]:
    global _migrated
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return False, f"reachable, {len(pending)} migration(s) not applied: run migrate"
            _migrated = True
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()
        return False, f"unreachable ({type(exc).__name__})"
    return True, "reachable and migrated"


def _no_redis() -> tuple[bool, str] | None:
    if not settings.REDIS_URL:
        return True, "not used: REDIS_URL is not set (tasks run inline)"
    return None


def check_redis() -> tuple[bool, str]:
    if skipped := _no_redis():
        return skipped
    try:
        heartbeat.client().ping()
    except redis.RedisError as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, "reachable"


def check_broker() -> tuple[bool, str]:
    """The broker is Redis (CELERY_BROKER_URL, a database apart from the cache's): can we
    reach its queue?"""
    if skipped := _no_redis():
        return skipped
    queue = current_app.conf.task_default_queue
    try:
        depth = heartbeat.broker_client().llen(queue)
    except redis.RedisError as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, f"reachable, {depth} task(s) waiting in {queue!r}"


def _heartbeat(key: str, what: str, remedy: str) -> tuple[bool, str]:
    if skipped := _no_redis():
        return skipped
    try:
        seen = heartbeat.last_seen(key)
    except (redis.RedisError, ValueError) as exc:
        return False, f"unknown: heartbeat unreadable ({type(exc).__name__})"
    if seen is None:
        return False, f"no {what} heartbeat seen: {remedy}"
    age = float(seen["age"])
    if age > float(settings.OPS_HEARTBEAT_STALE_SECONDS):
        return False, f"last {what} heartbeat {age:.0f} s ago: {remedy}"
    return True, f"{what} heartbeat {age:.1f} s ago"


def check_worker() -> tuple[bool, str]:
    return _heartbeat(
        heartbeat.WORKER_KEY, "worker", "is a Celery worker running and connected to the broker?"
    )


def check_beat() -> tuple[bool, str]:
    return _heartbeat(heartbeat.BEAT_KEY, "beat", "is exactly one Celery beat running?")


CHECKS: dict[str, Callable[[], tuple[bool, str]]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
}


# What /readyz asks: can this node serve? Beat schedules sweeps and reconciliation; its outage
# delays them but does not stop a web node serving, so it is reported (status page, metrics),
# not a reason for a load balancer to take every node out.
READINESS = ("database", "redis", "broker", "worker")


def run_checks(names: tuple[str, ...] | None = None) -> list[Check]:
    results = []
    for name, check in CHECKS.items():
        if names is not None and name not in names:
            continue
        started = time.monotonic()
        ok, detail = check()
        results.append(Check(name, ok, detail, round((time.monotonic() - started) * 1000, 1)))
    return results


def readiness() -> tuple[bool, dict[str, object]]:
    """(ready, body): ready on the READINESS checks; the others are in `reported`."""
    checks = run_checks()
    ready = all(c.ok for c in checks if c.name in READINESS)

    def shown(names: set[str]) -> dict[str, object]:
        return {
            c.name: {"ok": c.ok, "detail": c.detail, "ms": c.ms} for c in checks if c.name in names
        }

    return ready, {
        "status": "ok" if ready else "unavailable",
        "checks": shown(set(READINESS)),
        "reported": shown(set(CHECKS) - set(READINESS)),
    }
