import base64
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db

from connections.fields import DecryptionFailed
from connections.models import Connection
from tests.factories import ConnectionFactory
from tests.keys import private_pem

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_private_key(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT private_key FROM connections_connection WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_database_never_holds_the_pem_or_any_part_of_it():
    conn = ConnectionFactory(private_key="")
    conn.set_private_key(private_pem())
    conn.save()
    raw = raw_private_key(conn.pk)
    assert "PRIVATE KEY" not in raw
    body_lines = conn.private_key.strip().splitlines()[1:-1]
    for line in body_lines:
        assert line not in raw
        assert line[:16] not in raw
    # And not the DER bytes under another base64 alignment either.
    der = base64.b64decode("".join(body_lines))
    assert base64.b64encode(der[:24]).decode() not in raw
    assert Connection.objects.get(pk=conn.pk).private_key == conn.private_key


def test_encrypted_fields_cannot_be_filtered_on():
    with pytest.raises(TypeError, match="cannot be queried"):
        Connection.objects.filter(
            **{"private_key__contains": "BEGIN"}
        )  # the plugin would raise too


def test_rotation_keeps_old_values_readable_then_reencrypts_them(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    conn = ConnectionFactory()
    other = ConnectionFactory()
    under_old = raw_private_key(conn.pk)
    Fernet(OLD_KEY).decrypt(under_old.encode())

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert Connection.objects.get(pk=conn.pk).private_key == conn.private_key  # still readable

    call_command("rotate_encryption_key", batch_size=1, stdout=io.StringIO())
    rotated = raw_private_key(conn.pk)
    assert rotated != under_old
    Fernet(NEW_KEY).decrypt(rotated.encode())
    Fernet(NEW_KEY).decrypt(raw_private_key(other.pk).encode())

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can now go
    assert Connection.objects.get(pk=conn.pk).private_key == conn.private_key


def test_rotation_is_safe_to_rerun(settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_encryption_key")
    assert "1 value(s) re-encrypted" in capsys.readouterr().out
    call_command("rotate_encryption_key")
    assert "0 value(s) re-encrypted" in capsys.readouterr().out


def test_rotation_stops_with_advice_when_a_value_needs_a_removed_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    conn = ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(CommandError, match="Add back the key") as info:
        call_command("rotate_encryption_key")
    assert raw_private_key(conn.pk) not in str(info.value)
    with pytest.raises(DecryptionFailed, match="rotate_encryption_key"):
        Connection.objects.get(pk=conn.pk)


def test_invalid_fernet_key_setting_is_explained(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(Exception, match="not a Fernet key"):
        ConnectionFactory()
