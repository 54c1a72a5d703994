import secrets

from django.db import migrations, models

import connections.fields
import connections.models


def fill_tokens(apps, schema_editor):
    Connection = apps.get_model("connections", "Connection")
    for connection in Connection.objects.filter(connect_token__isnull=True):
        connection.connect_token = secrets.token_urlsafe(32)
        connection.save(update_fields=["connect_token"])


class Migration(migrations.Migration):
    dependencies = [("connections", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="connect_token",
            field=models.CharField(editable=False, max_length=43, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="connection",
            name="connect_token",
            field=models.CharField(
                default=connections.models._connect_token, editable=False, max_length=43, unique=True
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="connect_hmac_secrets",
            field=connections.fields.EncryptedTextField(blank=True),
        ),
    ]
