"""The worker writes its own heartbeat: a consumer bootstep with a repeating timer.

Consumer bootsteps run while the worker is connected to the broker and are stopped when it
loses that connection, so the heartbeat goes stale for a worker that cannot take tasks, but
it never depends on beat (a beat outage is beat's own problem, reported on the status page).
"""

import logging
from typing import Any

import redis
from celery import bootsteps
from django.conf import settings

from ops import heartbeat

logger = logging.getLogger("countersign.ops")


def beat_once(hostname: str) -> None:
    try:
        heartbeat.worker_alive(hostname)
    except redis.RedisError as exc:  # the heartbeat goes stale: readiness reports it
        logger.warning("Worker heartbeat not written (%s)", type(exc).__name__)


class WorkerHeartbeat(bootsteps.StartStopStep):
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        self.tref: Any = None
        super().__init__(parent, **kwargs)

    def start(self, parent: Any) -> None:
        hostname = str(parent.hostname or "")
        beat_once(hostname)
        self.tref = parent.timer.call_repeatedly(
            float(settings.OPS_HEARTBEAT_SECONDS), beat_once, (hostname,), priority=10
        )

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    shutdown = stop
