"""EncryptedTextField: values encrypted at rest with MultiFernet (FIELD_ENCRYPTION_KEYS).

The first key encrypts; every key decrypts, so keys rotate without downtime:
add a new key in front, deploy, run `manage.py rotate_encryption_key`, drop the old key.
"""

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 "
            'bytes). Make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from exc


# Encrypted files kept by other apps: each registers a function that re-encrypts its files
# under the newest key and returns how many it changed; `rotate_encryption_key` runs them.
FILE_ROTATORS: dict[str, Callable[[], int]] = {}


def get_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def get_primary_fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


class DecryptionFailed(ImproperlyConfigured):
    """A stored value that none of FIELD_ENCRYPTION_KEYS can decrypt."""


def is_under_primary(token: str | bytes) -> bool:
    """True if `token` was encrypted with the newest key (a rotation can leave it alone)."""
    try:
        get_primary_fernet().decrypt(token)
    except InvalidToken:
        return False
    return True


def decrypt(token: str) -> str:
    try:
        return get_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed(
            "An encrypted value cannot be decrypted with any of FIELD_ENCRYPTION_KEYS: the key "
            "that encrypted it has been removed. Put the old key back (after the new one) and "
            "run `manage.py rotate_encryption_key` before removing it."
        ) from None  # InvalidToken says nothing useful; hide the token from tracebacks


def encrypt(value: str) -> str:
    return get_fernet().encrypt(value.encode()).decode()


def encrypt_bytes(value: bytes) -> bytes:
    return get_fernet().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return get_fernet().decrypt(token)
    except InvalidToken:
        raise DecryptionFailed(
            "A stored file cannot be decrypted with any of FIELD_ENCRYPTION_KEYS: put the key "
            "that encrypted it back (after the new one) and run `manage.py "
            "rotate_encryption_key` before removing it."
        ) from None


class EncryptedTextField(models.TextField[str, str]):
    """Text encrypted with the newest key on save; empty stays empty. Not queryable."""

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(f"Encrypted fields cannot be queried with '{lookup_name}'.")
        return super().get_lookup(lookup_name)


class EncryptedJSONField(models.TextField[Any, Any]):
    """JSON (dicts, lists) encrypted with the newest key on save. Not queryable."""

    # For django-stubs' plugin: the Python value is JSON data, not text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> Any:
        if value is None:
            return value
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return value
        return encrypt(json.dumps(value, cls=DjangoJSONEncoder))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(f"Encrypted fields cannot be queried with '{lookup_name}'.")
        return super().get_lookup(lookup_name)
