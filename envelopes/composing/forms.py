"""Forms for composing envelopes; they validate and hand over to envelopes.composing.prepare."""

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from accounts.models import Team
from connections.models import Connection
from connections.selectors import usable_connections
from envelopes.composing.prepare import RecipientInput
from envelopes.composing.signers import choosable_signers, signer_label
from envelopes.models import DocumentTemplate, Envelope, Recipient
from envelopes.selectors import usable_document_templates
from envelopes.sending.recipient_auth import parse_phone


class ConnectionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Production connections are marked: a signature there is real."""

    def label_from_instance(self, obj: Any) -> str:
        if obj.is_production:
            return f"{obj.name}: PRODUCTION (legally binding)"
        return f"{obj.name} (demo, for testing)"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UsableChoicesForm(forms.Form):
    """A form whose `connection`, `document_template` and `team` offer only what its user may
    use, and so accept only that; a member of a team must choose one of them."""

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered_connections = usable_connections(user)
        self.fields["connection"].queryset = self.offered_connections  # type: ignore[attr-defined]
        self.fields["document_template"].queryset = usable_document_templates(user)  # type: ignore[attr-defined]
        self.offered_teams = user.teams.all() if user.is_authenticated else Team.objects.none()
        self.fields["team"].queryset = self.offered_teams  # type: ignore[attr-defined]
        if self.offered_teams:
            self.fields["team"].required = True


class ComposeForm(UsableChoicesForm):
    connection = ConnectionChoiceField(queryset=Connection.objects.none(), empty_label=None)
    source = forms.ChoiceField(choices=Envelope.Source.choices, widget=forms.RadioSelect)
    subject = forms.CharField(max_length=100)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10000
    )
    uploads = MultipleFileField(required=False, label="Documents")
    document_template = forms.ModelChoiceField(
        queryset=DocumentTemplate.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        help_text="Team members with the permission see and act on it.",
    )
    docusign_template = forms.CharField(required=False, label="DocuSign template ID")
    as_draft = forms.BooleanField(
        required=False, label="Create as a draft at DocuSign (place fields before sending)"
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.offered_teams:
            self.initial.setdefault("team", self.offered_teams[0].pk)
        default = self.offered_connections.filter(
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
        if not str(key).isdigit():
            return None  # the field's own validation explains it
        queryset = self.fields["document_template"].queryset  # type: ignore[attr-defined]
        return queryset.filter(pk=key).first()  # type: ignore[no-any-return]

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


class SignerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return signer_label(obj)


class RecipientForm(forms.Form):
    AUTHENTICATIONS = [
        ("", "None"),
        ("access_code", "Access code"),
        ("sms", "SMS code"),
    ]

    signer_user = SignerChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="App user",
        empty_label="— someone else: type their name and email —",
        help_text="Choose a user here to have them sign in this app, as themselves.",
    )
    name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(max_length=100, required=False)
    kind = forms.ChoiceField(choices=Recipient.Kind.choices, initial=Recipient.Kind.SIGNER)
    routing_order = forms.IntegerField(min_value=1, max_value=99, initial=1)
    embedded = forms.BooleanField(
        required=False,
        label="Signs here, in this app",
        help_text="Only for people with an account here: they log in to sign.",
    )
    role_name = forms.CharField(max_length=100, required=False, label="Template role")
    authentication = forms.ChoiceField(
        choices=AUTHENTICATIONS,
        required=False,
        label="Check who they are",
        help_text="DocuSign asks for the code before showing the documents.",
    )
    access_code = forms.CharField(
        max_length=50,
        required=False,
        label="Access code",
        help_text="Tell them the code separately.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sms_phone = forms.CharField(
        max_length=30,
        required=False,
        label="Mobile number for the SMS code",
        help_text="With the country code: +44 7700 900123, +1 415 555 0100.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated:
            self.fields["signer_user"].queryset = choosable_signers(user)  # type: ignore[attr-defined]

    def clean_access_code(self) -> str:
        code: str = self.cleaned_data["access_code"].strip()
        if any(c in code for c in "<>&#"):
            raise ValidationError("An access code cannot contain < > & or # (DocuSign's rule).")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("signer_user") is None:
            for name in ("name", "email"):
                if name in data and not data[name]:
                    self.add_error(name, "This field is required (or choose an app user).")
        method = data.get("authentication") or ("access_code" if data.get("access_code") else "")
        data["authentication"] = method
        if method == "access_code" and not data.get("access_code"):
            self.add_error("access_code", "Type the access code, or choose no check.")
        if method == "sms":
            try:
                data["sms_phone"] = str(parse_phone(data.get("sms_phone", "")))
            except ValidationError as exc:
                self.add_error("sms_phone", exc)
        if method != "access_code":
            data["access_code"] = ""
        if method != "sms":
            data["sms_phone"] = ""
        return data

    def as_input(self) -> RecipientInput:
        d = self.cleaned_data
        return RecipientInput(
            name=d["name"],
            email=d["email"],
            kind=d["kind"],
            routing_order=d["routing_order"],
            embedded=d["embedded"] or d["signer_user"] is not None,
            role_name=d["role_name"],
            access_code=d["access_code"],
            sms_phone=d["sms_phone"],
            user=d["signer_user"],
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


class QueryForm(forms.Form):
    """Query parameters, validated like a form: a bad one is a 400 that says what is wrong."""

    def problem(self) -> str:
        return " ".join(
            f"{name}: {' '.join(str(e) for e in errors)}"
            if name != "__all__"
            else " ".join(str(e) for e in errors)
            for name, errors in self.errors.items()
        )


class EnvelopeFilters(QueryForm):
    status = forms.ChoiceField(choices=[("", "any"), *Envelope.Status.choices], required=False)
    connection = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    template = forms.CharField(max_length=100, required=False)
    sender = forms.CharField(max_length=150, required=False)
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    page = forms.IntegerField(min_value=1, max_value=10**6, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = "Dates must look like 2026-01-31."

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


class TemplateFieldsQuery(QueryForm):
    connection = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    docusign_template = forms.CharField(max_length=36, required=False)


class DocumentFieldsQuery(QueryForm):
    document_template = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
