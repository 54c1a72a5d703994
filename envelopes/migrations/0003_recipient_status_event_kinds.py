from django.db import migrations, models

# History entries written before event kinds were all lower-case-with-hyphens.
RENAMED_KINDS = {
    "signer returned": "signer-returned",
    "sending view closed": "sending-view-closed",
}


def rename_kinds(apps, schema_editor):
    EnvelopeEvent = apps.get_model("envelopes", "EnvelopeEvent")
    for old, new in RENAMED_KINDS.items():
        EnvelopeEvent.objects.filter(kind=old).update(kind=new)


def restore_kinds(apps, schema_editor):
    EnvelopeEvent = apps.get_model("envelopes", "EnvelopeEvent")
    for old, new in RENAMED_KINDS.items():
        EnvelopeEvent.objects.filter(kind=new).update(kind=old)


class Migration(migrations.Migration):
    dependencies = [
        ("envelopes", "0002_connectevent_synccursor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="envelope",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Sending"),
                    ("created", "Draft at DocuSign"),
                    ("sent", "Sent"),
                    ("delivered", "Viewed"),
                    ("signed", "Signed, completing"),
                    ("completed", "Completed"),
                    ("declined", "Declined"),
                    ("voided", "Voided"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="recipient",
            name="status",
            field=models.CharField(
                choices=[
                    ("created", "Not sent yet"),
                    ("sent", "Sent"),
                    ("delivered", "Viewed"),
                    ("signed", "Signed"),
                    ("completed", "Completed"),
                    ("declined", "Declined"),
                ],
                default="created",
                max_length=20,
            ),
        ),
        migrations.RunPython(rename_kinds, restore_kinds),
    ]
