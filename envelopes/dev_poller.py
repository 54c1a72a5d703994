"""Development without Redis (`make run`): no Celery beat runs, so a thread in the
runserver process does beat's one job, deciding each interval which connections are due a
poll (each still polls at most every 15 minutes). Off unless DEV_POLLER_SECONDS is set."""

import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections

from envelopes.bulk.batches import advance_due_batches
from envelopes.tasks import poll_due_connections

logger = logging.getLogger(__name__)


def wanted() -> bool:
    """On in runserver's serving process (not the autoreloader's watcher), only when asked
    and only without a broker (with Redis, `make run` starts a real beat)."""
    return bool(
        settings.DEV_POLLER_SECONDS
        and settings.DEBUG
        and not settings.REDIS_URL
        and os.environ.get("RUN_MAIN") == "true"
    )


def tick() -> list[int]:
    """One beat: start the due polls and bulk send steps (inline, as tasks run without a
    broker)."""

    close_old_connections()
    try:
        advance_due_batches()
        return poll_due_connections()
    finally:
        close_old_connections()


def _loop(stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            tick()
        except Exception:  # a failed poll must not end the loop; the next tick retries
            logger.exception("Development poller: polling DocuSign failed")


def start(every: float | None = None) -> threading.Event:
    """Start the loop in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    seconds = float(every if every is not None else settings.DEV_POLLER_SECONDS)
    threading.Thread(target=_loop, args=(stop, seconds), daemon=True, name="dev-poller").start()
    logger.info("Development poller: checking for due polls every %.0f s", seconds)
    return stop
