"""The bulk send form: where the envelopes come from, and the CSV of recipients."""

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User

from accounts.models import Team
from connections.models import Connection
from envelopes.bulk.rows import MAX_BYTES
from envelopes.composing.forms import ConnectionChoiceField, UsableChoicesForm
from envelopes.models import BulkBatch, DocumentTemplate


class BulkSendForm(UsableChoicesForm):
    connection = ConnectionChoiceField(queryset=Connection.objects.none(), empty_label=None)
    source = forms.ChoiceField(choices=BulkBatch.Source.choices, widget=forms.RadioSelect)
    document_template = forms.ModelChoiceField(
        queryset=DocumentTemplate.objects.none(), required=False
    )
    docusign_template = forms.CharField(required=False, label="DocuSign template ID")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    subject = forms.CharField(max_length=100)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10000
    )
    csv_file = forms.FileField(required=False, label="CSV file")
    csv_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
        label="Or paste the rows (with the header row)",
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        default = self.offered_connections.filter(is_default=True).first()
        if default:
            self.initial.setdefault("connection", default.pk)
        self.initial.setdefault("source", BulkBatch.Source.GENERATED)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source == BulkBatch.Source.GENERATED and not data.get("document_template"):
            self.add_error("document_template", "Choose the document template to generate from.")
        if source == BulkBatch.Source.TEMPLATE and not data.get("docusign_template"):
            self.add_error("docusign_template", "Choose the DocuSign template.")
        upload = data.get("csv_file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                self.add_error("csv_file", f"The file is over {MAX_BYTES // 1024 // 1024} MB.")
            else:
                try:
                    data["csv_text"] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    self.add_error(
                        "csv_file", "The file is not UTF-8 text: save it as 'CSV UTF-8' and retry."
                    )
        if not (data.get("csv_text") or "").strip() and not self.errors:
            self.add_error("csv_text", "Choose a CSV file or paste the rows.")
        return data
