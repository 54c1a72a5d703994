"""Heartbeats in Redis: beat writes one on every tick, and each worker writes its own while
it is connected to the broker (ops.worker_heartbeat). /readyz reads the worker's age; beat's
is shown on the status page and in the metrics.

The worker's heartbeat does not pass through beat: a beat outage must not make every web node
unready while the workers are fine.
"""

import json
import os
import socket
import time
from functools import cache
from typing import Any

import redis
from django.conf import settings

PREFIX = "countersign:ops:"
WORKER_KEY = PREFIX + "heartbeat:worker"
BEAT_KEY = PREFIX + "heartbeat:beat"
BEAT_LOCK_KEY = PREFIX + "beat-lock"
TIMEOUT = 0.5  # seconds: a health check must answer fast even when Redis does not


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT, health_check_interval=0
    )


def client() -> redis.Redis:
    """Redis for operations data (REDIS_URL), with short timeouts."""
    return _client(settings.REDIS_URL)


def broker_client() -> redis.Redis:
    """The broker's Redis database (CELERY_BROKER_URL: by default the one after REDIS_URL's,
    apart from the cache's), with short timeouts: where the task queues are."""
    return _client(settings.CELERY_BROKER_URL)


def _beat(key: str, **extra: Any) -> None:
    stale = float(settings.OPS_HEARTBEAT_STALE_SECONDS)
    value = {"at": time.time(), "host": socket.gethostname(), "pid": os.getpid(), **extra}
    client().set(key, json.dumps(value), ex=max(1, int(stale * 4)))


def worker_alive(hostname: str) -> None:
    _beat(WORKER_KEY, worker=hostname)


def beat_alive() -> None:
    _beat(BEAT_KEY)


def last_seen(key: str) -> dict[str, Any] | None:
    raw = client().get(key)
    if raw is None:
        return None
    value: dict[str, Any] = json.loads(raw)
    value["age"] = max(0.0, time.time() - float(value["at"]))
    return value
