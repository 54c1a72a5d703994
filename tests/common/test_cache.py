"""The cache guard (common.cache): the cache helps, Redis being down never breaks a page."""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from common.cache import cache_get, cache_set

DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
    }
}


def test_values_round_trip_through_the_real_cache():
    cache.delete("test:guard")
    assert cache_get("test:guard") is None
    cache_set("test:guard", {"a": 1}, 60)
    assert cache_get("test:guard") == {"a": 1}
    cache.delete("test:guard")


@pytest.mark.parametrize("call", [lambda: cache_get("k"), lambda: cache_set("k", 1, 60)])
def test_redis_down_is_a_miss_and_a_skipped_write_with_a_warning(call, caplog):
    with override_settings(CACHES=DOWN), caplog.at_level(logging.WARNING, "countersign.cache"):
        assert call() is None
    assert "Cache unavailable (ConnectionError)" in caplog.text
