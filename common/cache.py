"""The cache as a convenience, never a dependency: with Redis down a read is a miss (the
caller asks DocuSign instead) and a write is skipped, each with a warning."""

import logging
from typing import Any

from django.core.cache import cache

from common.infrastructure import INFRASTRUCTURE_ERRORS

logger = logging.getLogger("countersign.cache")


def cache_get(key: str) -> Any:
    """The cached value, or None when it is missing or the cache is unavailable."""
    try:
        return cache.get(key)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cache unavailable (%s); reading from DocuSign", type(exc).__name__)
        return None


def cache_set(key: str, value: Any, seconds: int) -> None:
    """Cache `value` for `seconds`, unless the cache is unavailable."""
    try:
        cache.set(key, value, seconds)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Cache unavailable (%s); not cached", type(exc).__name__)
