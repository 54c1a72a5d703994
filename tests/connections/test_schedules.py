"""Reminder and expiry defaults of a connection: the rules, and the object DocuSign gets."""

import pytest
from django.core.exceptions import ValidationError

from connections.models import Connection
from connections.schedules import Schedule, check_schedule, schedule_from_docusign


def test_the_defaults_are_docusigns_system_default_and_go_out_explicitly():
    schedule = Schedule.of(Connection())
    assert schedule == Schedule(None, 0, 120, 0)
    assert schedule.to_docusign() == {
        "useAccountDefaults": False,
        "reminders": {"reminderEnabled": False, "reminderDelay": 0, "reminderFrequency": 0},
        "expirations": {"expireEnabled": True, "expireAfter": 120, "expireWarn": 0},
    }
    assert schedule.describe() == "No reminders; expires 120 days after sending."


def test_docusigns_strings_read_back_as_the_same_schedule():
    schedule = Schedule(2, 3, 30, 5)
    as_strings = {
        k: {kk: str(vv).lower() for kk, vv in v.items()} if isinstance(v, dict) else v
        for k, v in schedule.to_docusign().items()
    }
    assert schedule_from_docusign(as_strings) == schedule


def test_a_connection_with_contradictory_defaults_is_refused_on_the_field():
    connection = Connection(reminder_delay_days=40, expire_after_days=30, expire_warn_days=30)
    with pytest.raises(ValidationError) as refused:
        connection.clean()
    errors = refused.value.message_dict
    assert "before the first reminder" in errors["reminder_delay_days"][0]
    assert "less than the expiry" in errors["expire_warn_days"][0]


def test_valid_schedules_pass():
    check_schedule(Schedule(1, 0, 2, 1))
    check_schedule(Schedule(None, 999, 999, 998))
