"""Forms: they validate (through connections.keys and the model) and hand over to services."""

from typing import Any, cast

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.safestring import SafeString

from connections import keys
from connections.models import Connection


class WriteOnlyTextarea(forms.Textarea):
    """Renders empty, always: a secret typed here is never sent back to the browser."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        return super().render(name, None, attrs, renderer)


class PrivateKeyField(forms.CharField):
    widget = WriteOnlyTextarea(
        attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false", "class": "mono"}
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value or not value.strip():
            return ""
        return keys.private_key_to_pem(keys.load_private_key(value))


class ConnectionAdminForm(forms.ModelForm[Connection]):
    new_private_key = PrivateKeyField(
        label="RSA private key",
        help_text="Paste the private key DocuSign showed when you added the RSA keypair. It is "
        "stored encrypted and never shown again; leave blank to keep the current key. If the "
        "form shows an error, paste the key again: it is not sent back to your browser.",
    )
    generate_keypair = forms.BooleanField(
        required=False,
        label="Generate a new keypair here",
        help_text="Countersign creates the keypair and shows you the public key to upload on "
        "DocuSign's Apps and Keys page; the private key never leaves the server.",
    )

    class Meta:
        model = Connection
        fields = [
            "name",
            "environment",
            "integration_key",
            "user_id",
            "user_email",
            "account_id",
            "base_uri",
            "uses_admin_consent",
            "is_default",
            "reminder_delay_days",
            "reminder_frequency_days",
            "expire_after_days",
            "expire_warn_days",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("integration_key", "user_id"):  # optional only mid-wizard
            # Absent when the admin shows the connection read-only (a key rotator, a
            # production approver: view permission only).
            if name in self.fields:
                self.fields[name].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_private_key") and data.get("generate_keypair"):
            self.add_error(
                "generate_keypair", "Either paste a private key or generate one, not both."
            )
        elif not self.instance.has_key and not (
            data.get("new_private_key") or data.get("generate_keypair")
        ):
            self.add_error(
                "new_private_key",
                "A connection needs an RSA private key: paste DocuSign's, or tick "
                "'Generate a new keypair here'.",
            )
        return data


# --- The setup wizard -----------------------------------------------------------------


class WizardStartForm(forms.ModelForm[Connection]):
    class Meta:
        model = Connection
        fields = ["name", "environment", "integration_key"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["integration_key"].required = True


class WizardKeysForm(forms.Form):
    private_key = PrivateKeyField(
        label="…or paste DocuSign's private key",
        help_text="Only if you created the keypair in DocuSign. Never shown again.",
    )
    generate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A pasted key that failed has its own, specific error: one message per mistake.
        if (
            not data.get("generate")
            and not data.get("private_key")
            and not self.has_error("private_key")
        ):
            raise forms.ValidationError("Generate a keypair here, or paste DocuSign's private key.")
        return data


class WizardUserForm(forms.ModelForm[Connection]):
    class Meta:
        model = Connection
        fields = ["user_id", "user_email", "uses_admin_consent"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user_id"].required = True


class WizardAccountForm(forms.Form):
    account_id = forms.ChoiceField(label="Account", widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account_id"]).choices = choices
        self.has_choices = bool(choices)


class PromoteForm(forms.ModelForm[Connection]):
    class Meta:
        model = Connection
        fields = ["name", "user_id", "user_email"]
        labels = {"user_id": "Production user ID", "user_email": "Production user's email"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user_id"].required = True
