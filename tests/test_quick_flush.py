"""The quick end of transactional tests (tests/support/quick_flush.py) leaves the database as
Django's flush would: every table empty but those post_migrate fills, and those as they were
right after set-up, even when a test changed them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from connections.models import Connection
from tests.factories import ConnectionFactory, UserFactory
from tests.support import quick_flush

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def rows(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return cursor.fetchone()[0]


def end_of_test():
    """What runs after a transactional test, called in the middle of one."""
    from django.test import TransactionTestCase

    case = TransactionTestCase()
    case._fixture_teardown()  # type: ignore[attr-defined]


def test_the_baseline_is_what_post_migrate_makes():
    baseline = quick_flush.BASELINES["default"]
    for model in (ContentType, Permission, Group):
        assert model._meta.db_table in baseline.seeded
    assert "auth_group_permissions" in baseline.seeded  # the role groups' permissions
    assert Connection._meta.db_table in baseline.emptied
    assert "auth_user" in baseline.emptied
    assert not set(baseline.seeded) & set(baseline.emptied)


def test_every_other_table_is_emptied_and_the_seeded_ones_kept():
    group = Group.objects.first()
    user = UserFactory(username="dora")
    user.groups.add(group)
    ConnectionFactory()
    permissions = Permission.objects.count()

    end_of_test()

    baseline = quick_flush.BASELINES["default"]
    assert {table: rows(table) for table in baseline.emptied if rows(table)} == {}
    assert Permission.objects.count() == permissions
    assert Group.objects.filter(pk=group.pk).exists()
    assert quick_flush.fingerprint("default", baseline.seeded) == baseline.fingerprint


def test_a_changed_role_group_is_put_back_by_djangos_flush():
    group = Group.objects.first()
    name = group.name
    group.name = "renamed by a test"
    group.save()
    group.permissions.clear()
    UserFactory(username="erin")

    assert not quick_flush.empty_unless_seeded_changed("default")
    assert rows("auth_user") == 1  # nothing deleted: the fall-back flushes it all
    end_of_test()

    assert Group.objects.get(name=name).permissions.exists()
    assert not Group.objects.filter(name="renamed by a test").exists()
    assert rows("auth_user") == 0
    # What the flush made (new ids) is the baseline now: the next test ends quickly again.
    baseline = quick_flush.BASELINES["default"]
    assert quick_flush.fingerprint("default", baseline.seeded) == baseline.fingerprint
    assert quick_flush.empty_unless_seeded_changed("default")
