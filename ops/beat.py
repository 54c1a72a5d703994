"""Exactly one beat schedules, however many are started.

`SingleBeatScheduler` holds a Redis lock (with a time-to-live) and renews it on every tick;
a beat that does not hold it schedules nothing and tries again at the next tick. If the
scheduling beat dies, its lock runs out after OPS_BEAT_LOCK_SECONDS and a standby beat takes
over; a beat that stops cleanly hands the lock over at once.
"""

import logging
from typing import Any

import redis
from celery.beat import PersistentScheduler
from django.conf import settings
from redis.lock import Lock

from ops import heartbeat

logger = logging.getLogger("countersign.beat")


class SingleBeatScheduler(PersistentScheduler):
    _lock: Lock | None = None
    _leading: bool | None = None  # unknown until the first tick

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = float(settings.OPS_HEARTBEAT_SECONDS)
        try:
            leading = self._hold_lock()
        except redis.RedisError as exc:
            if self._leading:
                logger.warning(
                    "Beat cannot reach Redis (%s); scheduling paused", type(exc).__name__
                )
            self._leading = False
            return min(interval, 5.0)
        if leading != self._leading:
            logger.info(
                "This beat %s",
                "now schedules" if leading else "is on standby (another beat holds the lock)",
            )
            self._leading = leading
        if not leading:
            return interval
        heartbeat.beat_alive()
        return min(float(super().tick(*args, **kwargs)), interval)

    def _hold_lock(self) -> bool:
        if self._lock is None:
            self._lock = heartbeat.client().lock(
                heartbeat.BEAT_LOCK_KEY,
                timeout=float(settings.OPS_BEAT_LOCK_SECONDS),
                thread_local=False,
            )
        if self._lock.local.token is not None:
            try:
                self._lock.reacquire()
                return True
            except redis.exceptions.LockError:
                self._lock.local.token = None  # it ran out and someone else may have it
                logger.warning("This beat lost the lock")
        return bool(self._lock.acquire(blocking=False))

    def close(self) -> None:
        if self._lock is not None and self._lock.local.token is not None:
            try:
                self._lock.release()
            except redis.RedisError:
                logger.warning("Beat could not release its lock; it runs out by itself")
        super().close()
