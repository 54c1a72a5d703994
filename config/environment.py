"""Reading the environment for the settings: the .env file, the DJANGO_DEBUG switch, and the
checks that turn variables into settings (production-only secrets, Fernet keys, Redis DBs)."""

import base64
import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()
ENV_FILE = Path(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():
    env.read_env(ENV_FILE, overwrite=False)  # the real environment wins

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def required_in_production(name: str, how: str) -> str:
    value: str = env.str(name, default="")
    if not value and not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. Production mode (DJANGO_DEBUG off) needs it: {how} "
            f"Set {name} (or {name}_FILE pointing at a file holding it), "
            "or set DJANGO_DEBUG=true for local development."
        )
    return value


def check_fernet_keys(keys: list[str]) -> None:
    """Refuse a FIELD_ENCRYPTION_KEYS entry that is not a Fernet key."""
    for position, key in enumerate(keys, start=1):
        # Checked here, so a bad key stops every process at start-up, not at the first decryption.
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except ValueError:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a "
                "Fernet key (44 characters of url-safe base64, 32 bytes). Make one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"; '
                "separate keys with commas, newest first."
            ) from None


def development_field_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY: stable across restarts, useless elsewhere."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(b"countersign-field-encryption:" + secret_key.encode()).digest()
    ).decode()


def redis_database(url: str, offset: int) -> str:
    parts = urlsplit(url)
    number = parts.path.strip("/") or "0"
    if not number.isdigit():
        raise ImproperlyConfigured(
            f"REDIS_URL must end in a database number (e.g. redis://host:6379/0), not '/{number}'."
        )
    database = int(number) + offset
    if database > 15:  # Redis has databases 0-15 by default: take the one below instead
        database = int(number) - offset
    return parts._replace(path=f"/{database}").geturl()
