"""Access tokens for connections: cached for every process, minted by one at a time.

A token is reused until less than DOCUSIGN_TOKEN_REFRESH_MARGIN seconds of its life is left.
When it must be minted, a lock (in Redis when REDIS_URL is set) makes exactly one process
call DocuSign while the others wait and then read the cache: no thundering herd. The lock
expires on its own, so a minter that dies blocks nobody for long. Tokens are stored
encrypted, and never logged.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import redis
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache as django_cache

from connections.credentials import auth_server_for, consent_link, credentials_for
from connections.docusign.auth import TokenResponse, scope_string
from connections.docusign.errors import DocuSignUnreachable
from connections.fields import DecryptionFailed, decrypt, encrypt, get_fernet
from connections.models import Connection

logger = logging.getLogger("countersign.tokens")

LOCK_TIMEOUT = 30  # seconds a minter may hold the lock before it is presumed dead
LOCK_WAIT = 40  # seconds a waiter waits for the minter before giving up

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def cache_key(connection: Connection) -> str:
    """Changes with anything that changes the token: rotating the keypair drops old tokens."""
    parts = "|".join(
        [
            str(connection.pk),
            connection.environment,
            connection.auth_server,
            connection.integration_key,
            connection.user_id,
            connection.key_fingerprint,
            scope_string(settings.DOCUSIGN_EXTRA_SCOPES),
        ]
    )
    return "docusign-token:" + hashlib.sha256(parts.encode()).hexdigest()[:32]


def _fresh(entry: Any, margin: float) -> str | None:
    if not isinstance(entry, dict) or entry.get("expires_at", 0) - time.time() <= margin:
        return None
    try:
        return decrypt(str(entry["token"]))
    except DecryptionFailed:
        # Encrypted under a key no longer in FIELD_ENCRYPTION_KEYS: a token is only a cache,
        # so it is minted again rather than failing every call until it expires.
        logger.warning("A cached DocuSign token could not be decrypted; minting a new one")
        return None


def get_access_token(
    connection: Connection, *, force_refresh: bool = False, stale_token: str = ""
) -> str:
    """A valid access token for `connection`.

    `force_refresh` replaces the cached token, but only if it is still `stale_token` (when
    given): when many workers see the same 401 at once, one mint serves them all.
    """
    key = cache_key(connection)
    margin = float(settings.DOCUSIGN_TOKEN_REFRESH_MARGIN)
    if not force_refresh:
        token = _fresh(django_cache.get(key), margin)
        if token:
            return token
    with _single_flight(key):
        token = _fresh(django_cache.get(key), margin)
        if token and not (force_refresh and (not stale_token or token == stale_token)):
            return token  # another process minted while we waited
        response = mint_token(connection)
        store_token(connection, response)
        return response.access_token


def store_token(connection: Connection, response: TokenResponse) -> None:
    django_cache.set(
        cache_key(connection),
        {"token": encrypt(response.access_token), "expires_at": time.time() + response.expires_in},
        timeout=response.expires_in,
    )


def drop_cached_token(connection: Connection) -> None:
    django_cache.delete(cache_key(connection))


def rotate_cached_tokens() -> int:
    """Re-encrypt every connection's cached token under the newest key (for
    `rotate_encryption_key`); one no key can read is dropped, to be minted again. Returns
    how many tokens were re-encrypted or dropped."""
    changed = 0
    for connection in Connection.objects.all():
        key = cache_key(connection)
        entry = django_cache.get(key)
        if not isinstance(entry, dict):
            continue
        left = int(entry.get("expires_at", 0) - time.time())
        try:
            token = get_fernet().rotate(str(entry["token"]).encode()).decode()
        except InvalidToken:
            django_cache.delete(key)
        else:
            if left > 0:
                django_cache.set(key, {**entry, "token": token}, timeout=left)
        changed += 1
    return changed


def mint_token(connection: Connection) -> TokenResponse:
    """One JWT Grant exchange with DocuSign (no cache): the token cache and the check both
    mint through here."""
    response = auth_server_for(connection).mint_token(
        credentials_for(connection), consent_link=consent_link(connection)
    )
    logger.info("Minted a DocuSign token for connection %s (%s)", connection.pk, connection.name)
    return response


class ConnectionTokenProvider:
    """The client's TokenProvider for one connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._last = ""

    def get(self, *, force_refresh: bool = False) -> str:
        self._last = get_access_token(
            self.connection, force_refresh=force_refresh, stale_token=self._last
        )
        return self._last


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@contextmanager
def _single_flight(key: str) -> Iterator[None]:
    if not settings.REDIS_URL:  # local-memory cache: one process, so a thread lock will do
        with _local_locks_guard:
            lock = _local_locks.setdefault(key, threading.Lock())
        with lock:
            yield
        return
    redis_lock = _redis().lock(
        f"countersign:{key}:lock", timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT, sleep=0.02
    )
    if not redis_lock.acquire():
        raise DocuSignUnreachable(
            f"waited {LOCK_WAIT}s for another process to fetch a DocuSign token"
        )
    try:
        yield
    finally:
        try:
            redis_lock.release()
        except redis.exceptions.LockNotOwnedError:
            logger.warning("Token lock for %s expired before release (slow mint)", key)
