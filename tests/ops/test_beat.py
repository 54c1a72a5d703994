"""Exactly one beat schedules: two SingleBeatSchedulers against one (real) Redis."""

import json
import os
import time

import pytest

from config.celery_app import app
from ops import heartbeat
from ops.beat import SingleBeatScheduler

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


class RecordingScheduler(SingleBeatScheduler):
    """Records what it would publish instead of talking to the broker."""

    producer = None  # type: ignore[assignment]

    def __init__(self, name, sent, **kwargs):
        self.beat_name = name
        self.sent = sent
        super().__init__(**kwargs)

    def apply_entry(self, entry, producer=None):
        self.sent.append((self.beat_name, entry.name))


@pytest.fixture
def make_beat(tmp_path, settings):
    settings.OPS_HEARTBEAT_SECONDS = 0.1
    settings.OPS_BEAT_LOCK_SECONDS = 1.0
    client = heartbeat.client()
    client.delete(heartbeat.BEAT_LOCK_KEY, heartbeat.BEAT_KEY)
    schedule = app.conf.beat_schedule
    app.conf.beat_schedule = {"often": {"task": "tests.often", "schedule": 0.05}}
    sent = []
    made = []

    def make(name):
        beat = RecordingScheduler(
            name, sent, app=app, schedule_filename=str(tmp_path / name), max_interval=0.1
        )
        made.append(beat)
        return beat

    yield make, sent
    app.conf.beat_schedule = schedule
    for beat in made:
        beat._lock = None  # do not hand a lock back during teardown
        beat.close()
    client.delete(heartbeat.BEAT_LOCK_KEY, heartbeat.BEAT_KEY)


def run(beats, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for beat in beats:
            beat.tick()
        time.sleep(0.02)


def senders(sent):
    return {name for name, _ in sent}


def test_only_the_beat_holding_the_lock_schedules(make_beat):
    make, sent = make_beat
    first, second = make("first"), make("second")
    run([first, second], 0.6)
    assert senders(sent) == {"first"}
    assert len(sent) >= 3
    raw = heartbeat.client().get(heartbeat.BEAT_KEY)
    assert raw is not None
    seen = json.loads(raw)
    assert seen["pid"] == os.getpid()


def test_a_beat_that_stops_cleanly_hands_over_at_once(make_beat):
    make, sent = make_beat
    first, second = make("first"), make("second")
    run([first, second], 0.3)
    first.close()
    sent.clear()
    run([second], 0.3)  # well within the lock's 1 s lifetime
    assert senders(sent) == {"second"}


@pytest.mark.slow
def test_a_dead_beats_lock_runs_out_and_a_standby_takes_over(make_beat):
    make, sent = make_beat
    first, second = make("first"), make("second")
    run([first, second], 0.3)
    sent.clear()
    run([second], 0.5)  # first died without releasing: second still waits
    assert sent == []
    run([second], 1.0)
    assert senders(sent) == {"second"}
    sent.clear()
    run([first, second], 0.4)  # the old one comes back: it lost the lock and stays quiet
    assert senders(sent) == {"second"}
