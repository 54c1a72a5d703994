"""Forms of the envelope page's changes: correct a recipient, reminders and expiration,
edit a failed envelope. They check the input's shape; the rules are the services'."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from connections.schedules import MAX_DAYS, Schedule, check_schedule
from envelopes.models import Envelope, Recipient


class CorrectRecipientForm(forms.Form):
    name = forms.CharField(max_length=100)
    email = forms.EmailField(
        max_length=100,
        help_text="For someone who signs here, the email of the app user who will sign.",
    )


class NotificationForm(forms.Form):
    reminders = forms.BooleanField(required=False, label="Send reminders")
    reminder_delay_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        label="First reminder after (days)",
    )
    reminder_frequency_days = forms.IntegerField(
        min_value=0, max_value=MAX_DAYS, initial=0, label="Then every (days, 0: once)"
    )
    expire_after_days = forms.IntegerField(
        min_value=1, max_value=MAX_DAYS, label="Expires after (days)"
    )
    expire_warn_days = forms.IntegerField(
        min_value=0, max_value=MAX_DAYS, initial=0, label="Warn before expiry (days, 0: no)"
    )

    @classmethod
    def for_envelope(cls, envelope: Envelope, data: Any = None) -> "NotificationForm":
        schedule = Schedule.of(envelope)
        initial = {**schedule.as_payload(), "reminders": schedule.reminder_delay_days is not None}
        return cls(data, initial=initial, prefix="n")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data.get("reminders") and data.get("reminder_delay_days") is None:
            self.add_error("reminder_delay_days", "Say after how many days to remind first.")
            return data
        try:
            check_schedule(self.schedule())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data

    def schedule(self) -> Schedule:
        d = self.cleaned_data
        reminders = bool(d.get("reminders"))
        return Schedule(
            reminder_delay_days=d.get("reminder_delay_days") if reminders else None,
            reminder_frequency_days=(d.get("reminder_frequency_days") or 0) if reminders else 0,
            expire_after_days=d["expire_after_days"],
            expire_warn_days=d.get("expire_warn_days") or 0,
        )


class ResubmitForm(forms.Form):
    subject = forms.CharField(max_length=100)
    message = forms.CharField(required=False, max_length=10000, widget=forms.Textarea)


def recipient_initial(recipient: Recipient) -> dict[str, Any]:
    return {
        "signer_user": recipient.user_id if recipient.kind == Recipient.Kind.SIGNER else None,
        "name": recipient.name,
        "email": recipient.email,
        "kind": recipient.kind,
        "routing_order": recipient.routing_order,
        "embedded": recipient.embedded and recipient.kind != Recipient.Kind.IN_PERSON,
        "role_name": recipient.role_name,
        "authentication": "sms"
        if recipient.sms_phone
        else "access_code"
        if recipient.access_code
        else "",
        "access_code": recipient.access_code,
        "sms_phone": recipient.sms_phone,
    }
