from datetime import timedelta

import pytest
from django.utils import timezone

from connections import golive
from connections.models import ApiCall, Connection
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def call(connection, path="/envelopes", method="POST", status=201, minutes_ago=0):
    row = ApiCall.objects.create(
        connection=connection,
        integration_key=connection.integration_key,
        method=method,
        path=path,
        status_code=status,
    )
    ApiCall.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_twenty_successful_calls_and_a_passing_check_are_ready():
    connection = ConnectionFactory(status=Connection.Status.CONNECTED)
    for n in range(20):
        call(connection, minutes_ago=100 - n)
    call(connection, path="/oauth/token", status=400)  # login calls do not count
    result = golive.readiness(connection)
    assert result.ready
    assert result.areas == {"Envelopes": 20}


def test_a_recent_failure_and_fast_polling_are_flagged():
    connection = ConnectionFactory(status=Connection.Status.CONNECTED)
    for n in range(25):
        call(connection, minutes_ago=200 - n)
    call(connection, status=400, minutes_ago=1)
    call(connection, path="/envelopes", method="GET", status=200, minutes_ago=50)
    call(connection, path="/envelopes", method="GET", status=200, minutes_ago=45)
    result = golive.readiness(connection)
    assert not result.ready
    assert result.recent_failures == 1
    assert result.fast_polls == 1
    assert dict(result.checklist)["No status polling more often than every 15 minutes"] is False
