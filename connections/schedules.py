"""Reminders and expiration (DocuSign's envelope `notification`): the numbers and their rules.

Used by a connection's defaults (connections) and by each envelope's own schedule
(connections/schedules.py). We always send explicit values with `useAccountDefaults:
"false"`: omitting the object gives DocuSign's system default (120 days, no reminders), not
the account's, and the page should show what DocuSign really does.
"""

from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError

MAX_DAYS = 999  # DocuSign's range for every one of these numbers


@dataclass(frozen=True)
class Schedule:
    reminder_delay_days: int | None  # None: no reminders
    reminder_frequency_days: int
    expire_after_days: int
    expire_warn_days: int

    @classmethod
    def of(cls, source: Any) -> "Schedule":
        return cls(
            reminder_delay_days=source.reminder_delay_days,
            reminder_frequency_days=source.reminder_frequency_days,
            expire_after_days=source.expire_after_days,
            expire_warn_days=source.expire_warn_days,
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Schedule":
        delay = payload.get("reminder_delay_days")
        return cls(
            reminder_delay_days=None if delay is None else int(delay),
            reminder_frequency_days=int(payload.get("reminder_frequency_days") or 0),
            expire_after_days=int(payload["expire_after_days"]),
            expire_warn_days=int(payload.get("expire_warn_days") or 0),
        )

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)

    def apply_to(self, target: Any) -> None:
        for name, value in asdict(self).items():
            setattr(target, name, value)

    def to_docusign(self) -> dict[str, Any]:
        """The `notification` object (the client turns numbers and booleans into strings)."""
        reminders = self.reminder_delay_days is not None
        return {
            "useAccountDefaults": False,
            "reminders": {
                "reminderEnabled": reminders,
                "reminderDelay": self.reminder_delay_days or 0,
                "reminderFrequency": self.reminder_frequency_days if reminders else 0,
            },
            "expirations": {
                "expireEnabled": True,
                "expireAfter": self.expire_after_days,
                "expireWarn": self.expire_warn_days,
            },
        }

    def describe(self) -> str:
        if self.reminder_delay_days is None:
            reminders = "No reminders"
        else:
            reminders = f"First reminder after {_days(self.reminder_delay_days)}"
            if self.reminder_frequency_days:
                reminders += f", then every {_days(self.reminder_frequency_days)}"
        expiry = f"expires {_days(self.expire_after_days)} after sending"
        if self.expire_warn_days:
            expiry += f", with a warning {_days(self.expire_warn_days)} before"
        return f"{reminders}; {expiry}."


DEFAULT = Schedule(None, 0, 120, 0)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def check_schedule(schedule: Schedule) -> None:
    """Raise ValidationError, keyed by field, saying what is wrong and how to fix it."""
    errors: dict[str, str] = {}

    def in_range(name: str, value: int | None, low: int, label: str) -> bool:
        if value is None or not (low <= value <= MAX_DAYS):
            errors[name] = f"{label} must be a whole number of days from {low} to {MAX_DAYS}."
            return False
        return True

    delay = schedule.reminder_delay_days
    if delay is not None:
        in_range("reminder_delay_days", delay, 1, "The first reminder")
    in_range("reminder_frequency_days", schedule.reminder_frequency_days, 0, "Repeat reminders")
    expire_ok = in_range("expire_after_days", schedule.expire_after_days, 1, "Expiry")
    warn_ok = in_range("expire_warn_days", schedule.expire_warn_days, 0, "The expiry warning")
    if expire_ok and warn_ok and schedule.expire_warn_days >= schedule.expire_after_days:
        errors["expire_warn_days"] = (
            f"The warning ({_days(schedule.expire_warn_days)} before expiry) must come after "
            f"sending: make it less than the expiry ({_days(schedule.expire_after_days)}), or "
            "0 for no warning."
        )
    if (
        expire_ok
        and delay is not None
        and "reminder_delay_days" not in errors
        and delay >= schedule.expire_after_days
    ):
        errors["reminder_delay_days"] = (
            f"The envelope expires after {_days(schedule.expire_after_days)}, before the first "
            f"reminder ({_days(delay)}) would go out: remind sooner or expire later."
        )
    if errors:
        raise ValidationError(errors)


def schedule_from_docusign(notification: dict[str, Any]) -> Schedule:
    """What DocuSign says the envelope's schedule is (strings in, numbers out)."""
    reminders = notification.get("reminders") or {}
    expirations = notification.get("expirations") or {}
    enabled = str(reminders.get("reminderEnabled", "false")).lower() == "true"
    return Schedule(
        reminder_delay_days=int(reminders.get("reminderDelay") or 0) if enabled else None,
        reminder_frequency_days=int(reminders.get("reminderFrequency") or 0) if enabled else 0,
        expire_after_days=int(expirations.get("expireAfter") or 120),
        expire_warn_days=int(expirations.get("expireWarn") or 0),
    )
