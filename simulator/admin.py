"""Simulator state in Django's admin: faults to inject, Connect configurations, envelopes."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from connections.forms import WriteOnlyTextarea
from simulator.models import SimConnectConfig, SimConnectDelivery, SimEnvelope, SimFault


@admin.register(SimFault)
class SimFaultAdmin(admin.ModelAdmin[SimFault]):
    list_display = ["status", "remaining", "path_contains", "delay_ms", "created"]
    fields = ["status", "remaining", "path_contains", "delay_ms"]


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
        fields = ["account", "name", "url", "events", "hmac_secrets", "enabled"]

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
