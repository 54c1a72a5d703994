"""The webhook token: encrypted at rest, looked up by its SHA-256."""

import hashlib

from django.db import migrations, models

import connections.fields
import connections.models


def encrypt_tokens(apps, schema_editor):
    from connections.fields import encrypt

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, connect_token FROM connections_connection")
        rows = cursor.fetchall()
        for pk, token in rows:
            cursor.execute(
                "UPDATE connections_connection SET connect_token = %s, connect_token_hash = %s "
                "WHERE id = %s",
                [encrypt(token), hashlib.sha256(token.encode()).hexdigest(), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("connections", "0006_apicall_request_id")]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="connect_token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="connection",
            name="connect_token",
            field=models.TextField(editable=False),
        ),
        migrations.RunPython(encrypt_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="connection",
            name="connect_token",
            field=connections.fields.EncryptedTextField(
                default=connections.models._connect_token, editable=False
            ),
        ),
        migrations.AlterField(
            model_name="connection",
            name="connect_token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
