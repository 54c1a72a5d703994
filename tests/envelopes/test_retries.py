"""The table of waits (envelopes.retries): each policy waits as its callers always have."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.infrastructure import INFRASTRUCTURE_ERRORS
from envelopes import retries


def test_a_send_waits_2_4_8_seconds_up_to_the_cap(settings):
    settings.ENVELOPES_RETRY_MAX_SECONDS = 60
    waits = [retries.SEND.after(n) for n in (0, 1, 2, 3, 5, 6)]
    assert waits == [timedelta(seconds=s) for s in (2, 2, 4, 8, 32, 60)]
    settings.ENVELOPES_MAX_SEND_ATTEMPTS = 4
    assert retries.SEND.max_attempts() == 4  # read when used: operators may change it


def test_a_connect_message_waits_5_10_20_seconds_up_to_its_own_cap(settings):
    settings.ENVELOPES_CONNECT_RETRY_MAX_SECONDS = 30
    waits = [retries.CONNECT_MESSAGE.seconds(n) for n in (0, 1, 2, 3, 4)]
    assert waits == [5, 5, 10, 20, 30]


def test_read_only_tasks_double_without_a_cap_and_stop_at_their_limit():
    assert [retries.KEEP_DOCUMENTS.seconds(n + 1) for n in range(4)] == [30, 60, 120, 240]
    assert (retries.REFRESH.max_attempts(), retries.POLL.max_attempts()) == (3, 3)
    assert retries.CHANGE.max_attempts() == 5
    with pytest.raises(ValueError, match="no attempt limit"):
        retries.VOID.max_attempts()  # a void is never dropped


def test_celery_retries_our_infrastructure_with_jittered_backoff():
    assert retries.celery_retries() == {
        "autoretry_for": INFRASTRUCTURE_ERRORS,
        "retry_backoff": 2,
        "retry_backoff_max": 120,
        "retry_jitter": True,
        "max_retries": 10,
    }
    assert retries.celery_retries(retries.KEEP_DOCUMENTS)["max_retries"] == 5


def test_a_rate_limit_waits_for_docusigns_reset_or_30_seconds():
    assert retries.rate_limited_until(1_800_000_000).timestamp() == 1_800_000_000
    unknown = retries.rate_limited_until(None) - timezone.now()
    assert timedelta(seconds=29) < unknown <= timedelta(seconds=30)
    assert retries.seconds_until(0) == 1.0  # a reset in the past: a second, never negative
