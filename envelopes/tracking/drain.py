"""Draining a connection's stored Connect messages: one drain per connection at a time (a
Redis key), in slices well under the task's time limit, each message applied once
(envelopes.tracking.apply) or given its own outcome (envelopes.tracking.outcomes)."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db.models import Min, Q
from django.utils import timezone

from common.dispatch import enqueue, runs_inline
from common.infrastructure import INFRASTRUCTURE_ERRORS
from envelopes.models import ConnectEvent, Envelope
from envelopes.tracking import hints
from envelopes.tracking.apply import Prepared, apply_prepared, prepare
from envelopes.tracking.outcomes import Failure, classify, record

logger = logging.getLogger("countersign.connect")


DRAIN_BATCH = 200
DRAIN_KEY = "envelopes:connect-drain:{}"  # held while a drain runs for a connection
DRAIN_KEY_SECONDS = 30


def request_drain(connection_id: int) -> bool:
    """Start one task applying this connection's stored messages, unless one is already on it.

    Called after the message is committed: either the running drain still sees it (it looks
    again after releasing the key), or this call starts a new drain. A publish per message
    would cost more than the rest of the request. True if a drain was started.
    """
    try:
        if not cache.add(DRAIN_KEY.format(connection_id), 1, timeout=DRAIN_KEY_SECONDS):
            return False
    except INFRASTRUCTURE_ERRORS as exc:  # Redis down: the message is stored; the sweep drains
        logger.warning("Connect drain not started (%s); the sweep will", type(exc).__name__)
        return False
    enqueue("envelopes.tasks.drain_connect_events", connection_id)
    return True


class DrainThrottle:
    """At most one drain request per connection per `window` seconds from each process.

    The first message of a window asks at once; later ones in the window are covered by one
    trailing request at its end (a timer), so every committed message is followed by a
    request within `window`, and a burst of messages costs one Redis round trip, not one
    each. A process that dies with a trailing request pending leaves its messages to the
    next request or the periodic sweep.
    """

    def __init__(self, request: Callable[[int], object]) -> None:
        self._request = request
        self._lock = threading.Lock()
        self._last: dict[int, float] = {}
        self._trailing: set[int] = set()

    def __call__(self, connection_id: int, window: float) -> None:
        if window <= 0:
            self._request(connection_id)
            return
        now = time.monotonic()
        with self._lock:
            if connection_id in self._trailing:
                return
            due = self._last.get(connection_id, float("-inf")) + window
            if now >= due:
                self._last[connection_id] = now
                ask_now = True
            else:
                self._trailing.add(connection_id)
                ask_now = False
        if ask_now:
            self._request(connection_id)
            return
        timer = threading.Timer(due - now, self._fire, args=(connection_id,))
        timer.daemon = True
        timer.start()

    def _fire(self, connection_id: int) -> None:
        with self._lock:
            self._trailing.discard(connection_id)
            self._last[connection_id] = time.monotonic()
        try:
            self._request(connection_id)
        except Exception:  # a timer thread has nobody to tell: log, the sweep recovers
            logger.exception("Connect drain request for connection %s failed", connection_id)


_throttle = DrainThrottle(lambda pk: request_drain(pk))


def request_drain_soon(connection_id: int) -> None:
    """The webhook's way to ask for a drain: throttled (ENVELOPES_CONNECT_DRAIN_THROTTLE)."""
    _throttle(connection_id, settings.ENVELOPES_CONNECT_DRAIN_THROTTLE)


# A running drain renews its key every DRAIN_RENEW_SECONDS; a crashed one's key lapses within
# DRAIN_KEY_SECONDS and the next request (or the sweep) starts a new drain.
DRAIN_RENEW_SECONDS = 5.0
CHUNK = 50  # messages applied in one transaction
CHUNK_SECONDS = 1.0  # …or fewer, when fetches make gathering them slow
WAKE_KEY = "envelopes:connect-wake:{}"  # when the next timed wake-up of a drain is due


@dataclass
class Slice:
    applied: int = 0
    waiting: int = 0  # backed off, tried again when due
    parked: int = 0
    more: bool = False  # stopped at its limit with messages left


def ready(connection_id: int, now: datetime | None = None) -> Any:
    """A connection's messages to apply now: not applied, not parked, not waiting."""
    now = now or timezone.now()
    return (
        ConnectEvent.objects.filter(
            connection_id=connection_id, processed_at__isnull=True, parked_at__isnull=True
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("received_at", "pk")
    )


def drain_connect_events(connection_id: int) -> int:
    """Apply one slice of a connection's stored messages, then hand on; returns how many
    this slice applied.

    The caller holds the drain key (request_drain took it, or the previous slice handed it
    on). A slice ends after ENVELOPES_CONNECT_SLICE_SECONDS or _MESSAGES, well inside the
    task's soft time limit, and queues the next slice at once with the key still held: no
    second drain starts meanwhile and no message waits for the sweep. With nothing left it
    releases the key and looks once more (a message committed meanwhile either is seen, and
    the key taken back, or has started a drain of its own).
    """
    key = DRAIN_KEY.format(connection_id)
    done = drain_slice(connection_id)
    if done.more:
        hand_on(connection_id)
        return done.applied
    _release(key)
    if ready(connection_id).exists() and _claim(key):
        hand_on(connection_id)
    else:
        wake_when_due(connection_id)
    return done.applied


def drain_slice(connection_id: int) -> Slice:
    """Apply ready messages until the slice's limits. One message's failure never stops the
    rest: it waits or is parked (envelopes.tracking.outcomes). Our own database or Redis
    failing raises (the task retries; nothing parked, no attempt counted)."""
    key = DRAIN_KEY.format(connection_id)
    started = renewed = time.monotonic()
    deadline = started + settings.ENVELOPES_CONNECT_SLICE_SECONDS
    limit = settings.ENVELOPES_CONNECT_SLICE_MESSAGES
    done = Slice()
    handled = 0
    blocked: Failure | None = None  # DocuSign refuses fetches for now (rate limit, consent)
    while True:
        batch = list(ready(connection_id)[: min(DRAIN_BATCH, limit - handled)])
        if not batch:
            return done
        envelopes = {
            e.docusign_envelope_id: e
            for e in Envelope.objects.filter(
                connection_id=connection_id,
                docusign_envelope_id__in={e.docusign_envelope_id for e in batch},
            )
        }
        chunk: list[Prepared] = []
        chunk_started = time.monotonic()
        for event in batch:
            if time.monotonic() >= deadline:
                break
            handled += 1
            try:
                item = _prepare(event, envelopes.get(event.docusign_envelope_id), blocked)
            except INFRASTRUCTURE_ERRORS:
                raise
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                failure = exc.failure if isinstance(exc, Blocked) else classify(exc)
                blocked = failure if failure.blocks_fetches else blocked
                _count(done, record(event, failure))
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK or time.monotonic() - chunk_started >= CHUNK_SECONDS:
                done.applied += _apply(chunk, done)
                chunk, chunk_started = [], time.monotonic()
            if time.monotonic() - renewed >= DRAIN_RENEW_SECONDS:
                _renew(key)
                renewed = time.monotonic()
        done.applied += _apply(chunk, done)
        if handled >= limit or time.monotonic() >= deadline:
            done.more = True
            return done


def _prepare(event: ConnectEvent, envelope: Envelope | None, blocked: Failure | None) -> Prepared:
    fetch = hints.fetch_for(event)
    if blocked is not None:  # the same answer for every fetch: do not spend a call on it
        fetch = partial(_refuse, blocked)
    return prepare(event, envelope, fetch=fetch)


class Blocked(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(failure.reason)


def _refuse(failure: Failure, envelope: Envelope) -> dict[str, Any] | None:
    raise Blocked(failure)


def _apply(items: list[Prepared], done: Slice) -> int:
    """Apply together; if that fails for a reason of its own (not our infrastructure), apply
    one by one so only the message at fault is parked."""
    if not items:
        return 0
    try:
        return apply_prepared(items)
    except INFRASTRUCTURE_ERRORS:
        raise
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        if len(items) > 1:
            return sum(_apply([item], done) for item in items)
        logger.exception("Connect message %s could not be applied", items[0].event.pk)
        _count(done, record(items[0].event, classify(exc)))
        return 0


def _count(done: Slice, outcome: str) -> None:
    if outcome == "parked":
        done.parked += 1
    elif outcome == "waiting":
        done.waiting += 1


def hand_on(connection_id: int) -> None:
    """Queue the next slice with the key held (renewed for it). If the broker is down, let
    the key go: the next request or the sweep starts a drain."""
    key = DRAIN_KEY.format(connection_id)
    _renew(key)
    if not enqueue("envelopes.tasks.drain_connect_events", connection_id):
        _release(key)


def claim_drain(connection_id: int) -> bool:
    """Take the drain key for a timed wake-up; False if a drain holds it (it sees what is due)."""
    return _claim(DRAIN_KEY.format(connection_id))


def wake_when_due(connection_id: int) -> None:
    """Queue a drain for when the first waiting message is due (one per connection at a
    time, the earliest). Inline tasks cannot wait: there the sweep picks them up."""
    due = ConnectEvent.objects.filter(
        connection_id=connection_id,
        processed_at__isnull=True,
        parked_at__isnull=True,
        next_attempt_at__isnull=False,
    ).aggregate(due=Min("next_attempt_at"))["due"]
    if due is None or runs_inline():
        return
    key = WAKE_KEY.format(connection_id)
    try:
        pending = cache.get(key)
        if pending is not None and pending <= due.timestamp():
            return
        wait = max(0.0, (due - timezone.now()).total_seconds())
        cache.set(key, due.timestamp(), timeout=int(wait) + 60)
        enqueue(
            "envelopes.tasks.drain_connect_events",
            connection_id,
            kwargs={"claim": True},
            countdown=wait,
        )
    except INFRASTRUCTURE_ERRORS as exc:  # the sweep finds them once they are overdue
        logger.warning("Connect drain wake-up not queued: %s", type(exc).__name__)


def _claim(key: str) -> bool:
    try:
        return bool(cache.add(key, 1, timeout=DRAIN_KEY_SECONDS))
    except INFRASTRUCTURE_ERRORS as exc:  # the message is stored; the sweep drains
        logger.warning("Could not take the Connect drain key: %s", type(exc).__name__)
        return False


def _renew(key: str) -> None:
    try:
        cache.set(key, 1, timeout=DRAIN_KEY_SECONDS)
    except INFRASTRUCTURE_ERRORS as exc:  # the key lapses; the sweep starts a drain if needed
        logger.warning("Could not renew the Connect drain key: %s", type(exc).__name__)


def _release(key: str) -> None:
    try:
        cache.delete(key)
    except INFRASTRUCTURE_ERRORS as exc:  # it lapses by itself
        logger.warning("Could not release the Connect drain key: %s", type(exc).__name__)
