"""Re-encrypt every encrypted value under the newest FIELD_ENCRYPTION_KEYS key."""

from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from connections.fields import (
    FILE_ROTATORS,
    EncryptedJSONField,
    EncryptedTextField,
    get_fernet,
    is_under_primary,
)
from connections.tokens import rotate_cached_tokens


class Command(BaseCommand):
    help = (
        "Re-encrypt all encrypted fields with the first key in FIELD_ENCRYPTION_KEYS. "
        "Safe to re-run; values already under the newest key are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total_rotated = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField | EncryptedJSONField):
                    rotated = self._rotate(model, field, batch_size)
                    total_rotated += rotated
                    self.stdout.write(f"{model._meta.label}.{field.name}: {rotated} re-encrypted")
        for label, rotate in FILE_ROTATORS.items():
            try:
                rotated = rotate()
            except InvalidToken:
                raise CommandError(
                    f"{label}: a file cannot be decrypted by any key in FIELD_ENCRYPTION_KEYS. "
                    "Add back the key it was encrypted with, then run this again."
                ) from None
            total_rotated += rotated
            self.stdout.write(f"{label}: {rotated} file(s) re-encrypted")
        # Cached DocuSign tokens are encrypted too: one left under a key about to be dropped
        # would fail every call until it expired.
        tokens = rotate_cached_tokens()
        self.stdout.write(f"Cached DocuSign tokens: {tokens} re-encrypted or dropped")
        self.stdout.write(self.style.SUCCESS(f"Done: {total_rotated} value(s) re-encrypted."))

    def _rotate(self, model: Any, field: Any, batch_size: int) -> int:
        # Raw SQL: the ORM would decrypt on read, and we need the ciphertext to rotate it.
        qn = connection.ops.quote_name
        table, column, pk = qn(model._meta.db_table), qn(field.column), qn(model._meta.pk.column)
        fernet = get_fernet()
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        select = (
            f"SELECT {pk}, {column} FROM {table} "  # noqa: S608 (quoted names, no user input)
            f"WHERE {pk} > %s AND {column} <> '' ORDER BY {pk} LIMIT %s{lock}"
        )
        update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
        rotated, last_pk = 0, None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                if last_pk is None:
                    cursor.execute(select.replace(f"{pk} > %s AND ", ""), [batch_size])
                else:
                    cursor.execute(select, [last_pk, batch_size])
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    if is_under_primary(token):
                        continue
                    try:
                        new_token = fernet.rotate(token.encode()).decode()
                    except InvalidToken:
                        raise CommandError(
                            f"{model._meta.label} #{row_pk}: {field.name} cannot be decrypted by "
                            "any key in FIELD_ENCRYPTION_KEYS. Add back the key it was "
                            "encrypted with, then run this again."
                        ) from None
                    cursor.execute(update, [new_token, row_pk])
                    rotated += 1
            if not rows:
                return rotated
            last_pk = rows[-1][0]
