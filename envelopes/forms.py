"""Forms for composing envelopes; they validate and hand over to envelopes.services."""

from typing import Any

from django import forms
from django.forms import formset_factory

from connections.models import Connection
from envelopes.models import DocumentTemplate, Envelope, Recipient
from envelopes.services import RecipientInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ComposeForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=Connection.objects.all(), empty_label=None)
    source = forms.ChoiceField(choices=Envelope.Source.choices, widget=forms.RadioSelect)
    subject = forms.CharField(max_length=100)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10000
    )
    uploads = MultipleFileField(required=False, label="Documents")
    document_template = forms.ModelChoiceField(
        queryset=DocumentTemplate.objects.all(), required=False
    )
    docusign_template = forms.CharField(required=False, label="DocuSign template ID")
    as_draft = forms.BooleanField(
        required=False, label="Create as a draft at DocuSign (place fields before sending)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = Connection.objects.filter(
            is_default=True, environment=Connection.Environment.DEMO
        ).first()
        if default and not self.is_bound:
            self.initial.setdefault("connection", default.pk)
        self.initial.setdefault("source", Envelope.Source.GENERATED)
        template = self._chosen_template()
        for field in template.fields if template else []:
            self.fields[f"data_{field['name']}"] = forms.CharField(
                label=field.get("label") or field["name"],
                required=bool(field.get("required", True)),
            )

    def _chosen_template(self) -> DocumentTemplate | None:
        key = (
            self.data.get("document_template")
            if self.is_bound
            else self.initial.get("document_template")
        )
        if not key:
            return None
        return DocumentTemplate.objects.filter(pk=key).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source == Envelope.Source.UPLOADS and not data.get("uploads"):
            self.add_error("uploads", "Attach at least one document.")
        if source == Envelope.Source.GENERATED and not data.get("document_template"):
            self.add_error("document_template", "Choose the document template to fill in.")
        if source == Envelope.Source.TEMPLATE and not data.get("docusign_template"):
            self.add_error("docusign_template", "Choose a DocuSign template.")
        return data

    def template_data(self) -> dict[str, str]:
        return {
            name.removeprefix("data_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("data_")
        }


class RecipientForm(forms.Form):
    name = forms.CharField(max_length=100)
    email = forms.EmailField(max_length=100)
    kind = forms.ChoiceField(choices=Recipient.Kind.choices, initial=Recipient.Kind.SIGNER)
    routing_order = forms.IntegerField(min_value=1, max_value=99, initial=1)
    embedded = forms.BooleanField(required=False, label="Signs here, in this app")
    role_name = forms.CharField(max_length=100, required=False, label="Template role")

    def as_input(self) -> RecipientInput:
        d = self.cleaned_data
        return RecipientInput(
            name=d["name"],
            email=d["email"],
            kind=d["kind"],
            routing_order=d["routing_order"],
            embedded=d["embedded"],
            role_name=d["role_name"],
        )


RecipientFormSet = formset_factory(
    RecipientForm, extra=0, min_num=1, validate_min=True, max_num=100
)


def parse_prefill(data: Any) -> dict[str, dict[str, str]]:
    """`prefill:<role>:<tab label>` fields → {role: {label: value}} (empty values skipped)."""
    prefill: dict[str, dict[str, str]] = {}
    for key in data:
        if key.startswith("prefill:") and data.get(key):
            _, role, label = key.split(":", 2)
            prefill.setdefault(role, {})[label] = str(data.get(key))
    return prefill


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Recipients see this reason.")


class EnvelopeFilterForm(forms.Form):
    """The envelope list's filters; every field optional, dates in order."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *Envelope.Status.choices], required=False
    )
    connection = forms.ModelChoiceField(
        queryset=Connection.objects.all(), required=False, empty_label="Any connection"
    )
    template = forms.CharField(required=False, max_length=100)
    sender = forms.CharField(required=False, max_length=150)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error(
                "until",
                f"The end date ({until:%Y-%m-%d}) is before the start date ({since:%Y-%m-%d}): "
                "swap them, or clear one.",
            )
        return data

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.fields)
