"""Simulator state in Django's admin: behaviour (timing, limits), faults to inject, Connect
configurations, envelopes."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from connections.forms import WriteOnlyTextarea
from simulator.models import (
    SimBehaviour,
    SimConnectConfig,
    SimConnectDelivery,
    SimEnvelope,
    SimFault,
    SimTextMessage,
)


@admin.register(SimFault)
class SimFaultAdmin(admin.ModelAdmin[SimFault]):
    list_display = [
        "status",
        "remaining",
        "operation",
        "path_contains",
        "delay_ms",
        "drop_connection",
        "created",
        "taken_at",
        "taken_for",
    ]
    fields = ["status", "remaining", "operation", "path_contains", "delay_ms", "drop_connection"]


@admin.register(SimTextMessage)
class SimTextMessageAdmin(admin.ModelAdmin[SimTextMessage]):
    """The outbox of text messages (phone authentication codes) DocuSign would have sent."""

    list_display = ["created", "phone", "body"]
    readonly_fields = ["session", "phone", "code", "body", "created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SimBehaviour)
class SimBehaviourAdmin(admin.ModelAdmin[SimBehaviour]):
    """One row: how slow and limited the simulated DocuSign is (simulator.control in code)."""

    fieldsets = [
        (
            "Timing",
            {"fields": ["slow_create_seconds", "slow_create_percent", "search_lag_seconds"]},
        ),
        (
            "Limits",
            {
                "fields": [
                    "hourly_limit",
                    "hourly_limit_status",
                    "hourly_window_seconds",
                    "burst_limit",
                    "envelope_poll_burst_limit",
                    "envelope_poll_hourly_limit",
                    "envelope_update_burst_limit",
                    "envelope_update_hourly_limit",
                ]
            },
        ),
        (
            "Failures",
            {"fields": ["unavailable_percent", "drop_percent", "token_lifetime_seconds"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SimBehaviour.objects.exists()

    def save_model(self, request: HttpRequest, obj: SimBehaviour, form: Any, change: bool) -> None:
        obj.pk = 1  # the one row simulator.control reads
        super().save_model(request, obj, form, change)


class ConnectConfigForm(forms.ModelForm[SimConnectConfig]):
    url = forms.URLField(max_length=500, assume_scheme="https")
    hmac_secrets = forms.CharField(
        required=False,
        widget=WriteOnlyTextarea(attrs={"rows": 3}),
        help_text="One secret per line (as in DocuSign's Connect Keys). Never shown again; "
        "leave blank to keep the current secrets.",
    )

    class Meta:
        model = SimConnectConfig
        fields = [
            "account",
            "name",
            "url",
            "events",
            "hmac_secrets",
            "include_documents",
            "include_certificate_of_completion",
            "enabled",
        ]

    def clean_hmac_secrets(self) -> str:
        value = self.cleaned_data.get("hmac_secrets") or ""
        if not value.strip():
            return self.instance.hmac_secrets or ""
        secrets = [s.strip() for s in value.splitlines() if s.strip()]
        if len(secrets) > SimConnectConfig.MAX_HMAC_KEYS:
            raise forms.ValidationError(f"At most {SimConnectConfig.MAX_HMAC_KEYS} keys.")
        return "\n".join(secrets)


@admin.register(SimConnectConfig)
class SimConnectConfigAdmin(admin.ModelAdmin[SimConnectConfig]):
    form = ConnectConfigForm
    list_display = ["name", "account", "url", "enabled"]


@admin.register(SimConnectDelivery)
class SimConnectDeliveryAdmin(admin.ModelAdmin[SimConnectDelivery]):
    list_display = [
        "created",
        "event",
        "envelope_id",
        "url",
        "attempts",
        "last_status",
        "delivered",
    ]
    readonly_fields = ["config", "url", "event", "envelope_id", "body", "attempts", "last_status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SimEnvelope)
class SimEnvelopeAdmin(admin.ModelAdmin[SimEnvelope]):
    list_display = ["envelope_id", "email_subject", "status", "account", "status_changed"]
    list_filter = ["status"]
    search_fields = ["envelope_id", "email_subject"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
