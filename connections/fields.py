"""EncryptedTextField: values encrypted at rest with MultiFernet (FIELD_ENCRYPTION_KEYS).

The first key encrypts; every key decrypts, so keys rotate without downtime:
add a new key in front, deploy, run `manage.py rotate_encryption_key`, drop the old key.
"""

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
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


def get_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def get_primary_fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


class DecryptionFailed(ImproperlyConfigured):
    """A stored value that none of FIELD_ENCRYPTION_KEYS can decrypt."""


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
