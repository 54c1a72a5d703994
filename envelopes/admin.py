from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from envelopes.composing.generation import validate_body
from envelopes.models import DocumentTemplate, Envelope, EnvelopeEvent, Recipient


class DocumentTemplateForm(forms.ModelForm[DocumentTemplate]):
    class Meta:
        model = DocumentTemplate
        fields = ["name", "team", "body", "fields"]

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        validate_body(body)
        return body


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin[DocumentTemplate]):
    form = DocumentTemplateForm
    list_display = ["name", "team", "updated_at"]
    list_filter = ["team"]
    search_fields = ["name"]


class RecipientInline(admin.TabularInline[Recipient, Envelope]):
    model = Recipient
    extra = 0
    fields = (
        "name",
        "email",
        "kind",
        "routing_order",
        "embedded",
        "user",
        "host",
        "role_name",
        "status",
    )
    readonly_fields = fields


class EventInline(admin.TabularInline[EnvelopeEvent, Envelope]):
    model = EnvelopeEvent
    extra = 0
    fields = ("at", "kind", "status", "detail", "source", "actor")
    readonly_fields = fields


@admin.register(Envelope)
class EnvelopeAdmin(admin.ModelAdmin[Envelope]):
    list_display = ["subject", "status", "connection", "sender", "team", "created_at"]
    list_filter = ["status", "source", "connection", "team"]
    list_select_related = ["connection", "sender"]
    search_fields = ["subject", "docusign_envelope_id", "recipients__email"]
    date_hierarchy = "created_at"
    inlines = [RecipientInline, EventInline]
    exclude = ["template_data"]  # personal data, encrypted; shown nowhere

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # envelopes are composed in the app, where they are validated and sent

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Envelope._meta.fields if f.name != "template_data"]


# Recipients' access codes are write-only: the inline above never lists them.
