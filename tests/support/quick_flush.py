"""A cheaper end to transactional tests on PostgreSQL, with the same result as Django's flush.

Django ends every `transaction=True` test (all live-server, browser and worker tests) with
`flush`: one TRUNCATE of every table, then the post_migrate signal again (content types,
permissions, the role groups). On a busy 2-core machine that took 1-5 s a test, most of the
suite's time outside the tests themselves. Test data is a few rows, so DELETE is much cheaper
than TRUNCATE (which makes new files for every table), and the rows post_migrate makes are
the same after every test unless a test changed them.

So: right after the test database is made, remember which tables post_migrate filled and a
fingerprint of their contents. At the end of a transactional test, in one transaction,
DELETE every other table; if the remembered tables still match their fingerprint that is
all (the database is exactly as a flush would leave it), otherwise fall back to Django's own
flush (and remember its result as the new baseline). Anything unusual (another vendor,
`available_apps`, serialized rollback, reset sequences) takes Django's path too.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.test import TransactionTestCase


@dataclass(frozen=True)
class Baseline:
    seeded: tuple[str, ...]  # tables post_migrate fills: kept, checked against `fingerprint`
    emptied: tuple[str, ...]  # every other table of an installed model: emptied
    fingerprint: tuple[tuple[str, str], ...]


BASELINES: dict[str, Baseline] = {}  # database alias -> its state right after set-up
DJANGO_FIXTURE_TEARDOWN: Callable[[TransactionTestCase], None] = (
    TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]
)


def _quoted(alias: str, table: str) -> str:
    return str(connections[alias].ops.quote_name(table))


def fingerprint(alias: str, tables: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """One md5 per table over all its rows (as text, sorted): equal only if the rows are."""
    if not tables:
        return ()
    # Table names come from Django's introspection, quoted: no outside input.
    selects = [
        f"SELECT %s, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "  # noqa: S608
        f"FROM {_quoted(alias, table)} t"
        for table in tables
    ]
    with connections[alias].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), list(tables))
        return tuple(sorted(cursor.fetchall()))


def remember(alias: str) -> Baseline | None:
    """Call once the test database is made (migrations and post_migrate have run)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    tables = sorted(
        connection.introspection.django_table_names(only_existing=True, include_views=False)
    )
    with connection.cursor() as cursor:
        filled = []
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quoted(alias, table)})")  # noqa: S608
            if cursor.fetchone()[0]:
                filled.append(table)
    seeded = tuple(filled)
    emptied = tuple(table for table in tables if table not in seeded)
    baseline = Baseline(seeded, emptied, fingerprint(alias, seeded))
    BASELINES[alias] = baseline
    return baseline


class SeededTablesChanged(Exception):
    """A test changed what post_migrate made: only Django's flush puts that back."""


def empty_unless_seeded_changed(alias: str) -> bool:
    """DELETE every table but the seeded ones, if those are unchanged; True when done
    (False: nothing was deleted, the caller flushes the Django way)."""
    baseline = BASELINES.get(alias)
    if baseline is None:
        return False
    try:
        with transaction.atomic(using=alias):
            if fingerprint(alias, baseline.seeded) != baseline.fingerprint:
                raise SeededTablesChanged
            with connections[alias].cursor() as cursor:
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: the order of the
                # deletes does not matter within the transaction.
                for table in baseline.emptied:
                    cursor.execute(f"DELETE FROM {_quoted(alias, table)}")  # noqa: S608
    except SeededTablesChanged:
        return False
    return True


def fixture_teardown(case: Any) -> None:
    """Replaces TransactionTestCase._fixture_teardown (see the module's docstring)."""
    aliases = list(case._databases_names(include_mirrors=False))
    plain = case.available_apps is None and not case.serialized_rollback
    plain = plain and not case.reset_sequences
    if plain and all(empty_unless_seeded_changed(alias) for alias in aliases):
        return
    DJANGO_FIXTURE_TEARDOWN(case)
    # post_migrate made its rows again, with new ids: they are the baseline from now on.
    for alias in aliases:
        if alias in BASELINES:
            remember(alias)


def install() -> None:
    TransactionTestCase._fixture_teardown = fixture_teardown  # type: ignore[attr-defined]
