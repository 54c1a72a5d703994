"""The compose page: choose a document source, fill it in, preview, send (or make a draft)."""

import logging
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render

from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign.errors import DocuSignError
from connections.models import Connection
from connections.selectors import usable_connections
from envelopes import selectors
from envelopes.composing import prepare
from envelopes.composing import templates as template_compose
from envelopes.composing.forms import (
    ComposeForm,
    DocumentFieldsQuery,
    RecipientFormSet,
    TemplateFieldsQuery,
    parse_prefill,
)
from envelopes.composing.generation import render_document
from envelopes.models import Envelope

logger = logging.getLogger("countersign.envelopes")


def _templates(connection: Connection | None) -> tuple[list[dict[str, Any]], str]:
    if connection is None or not connection.is_ready:
        return [], ""
    try:
        return prepare.list_templates(connection=connection), ""
    except DocuSignError as exc:
        return [], f"DocuSign templates are unavailable: {exc.with_advice}"
    except INFRASTRUCTURE_ERRORS as exc:  # e.g. Redis restarting: the page still works
        logger.warning("DocuSign templates unavailable: %s", type(exc).__name__)
        return [], "DocuSign templates are unavailable for a moment; reload the page to retry."


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def compose(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"  # an empty POST is still validated
    form = ComposeForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    recipients = RecipientFormSet(
        request.POST if posted else None, prefix="r", form_kwargs={"user": request.user}
    )
    preview, template_panel, template_preview = "", dict[str, Any](), dict[str, Any]()
    from_template = posted and request.POST.get("source") == Envelope.Source.TEMPLATE
    if from_template and form.is_valid() and request.POST.get("action") == "preview":
        template_panel, template_preview = template_compose.preview(request, form)
    elif from_template and form.is_valid():
        # A template's roles are the recipients (envelopes.composing.templates).
        envelope, template_panel = template_compose.send(request, form)
        if envelope is not None:
            return redirect("envelopes:detail", pk=envelope.pk)
    elif request.method == "POST" and form.is_valid() and recipients.is_valid():
        if request.POST.get("action") == "preview":
            preview = _preview(form)
        else:
            envelope = _send(request, form, recipients)
            if envelope is not None:
                return redirect("envelopes:detail", pk=envelope.pk)
    connection = _chosen_connection(form)
    if from_template and not template_panel:
        template_panel = template_compose.panel(
            connection=connection,
            template_id=str(request.POST.get("docusign_template", "")),
            data=request.POST,
        )
    templates, templates_error = _templates(connection)
    return render(
        request,
        "envelopes/compose.html",
        {
            "form": form,
            "recipients": recipients,
            "preview": preview,
            "templates": templates,
            "templates_error": templates_error,
            "panel": template_panel,
            "template_preview": template_preview,
        },
    )


def _chosen_connection(form: ComposeForm) -> Connection | None:
    if form.is_bound and hasattr(form, "cleaned_data") and form.cleaned_data.get("connection"):
        return form.cleaned_data["connection"]  # type: ignore[no-any-return]
    key = form.initial.get("connection")
    queryset = form.fields["connection"].queryset  # type: ignore[attr-defined]
    return queryset.filter(pk=key).first() if key else None


def _preview(form: ComposeForm) -> str:
    template = form.cleaned_data.get("document_template")
    if template is None:
        return ""
    try:
        return render_document(template, form.template_data())
    except ValidationError as exc:
        form.add_error(None, exc)
        return ""


def _send(request: HttpRequest, form: ComposeForm, recipients: Any) -> Envelope | None:
    data = form.cleaned_data
    source = data["source"]
    try:
        return prepare.prepare_envelope(
            connection=data["connection"],
            sender=request.user,  # type: ignore[arg-type]
            subject=data["subject"],
            message=data["message"],
            recipients=[f.as_input() for f in recipients.forms if f.cleaned_data],
            uploads=data["uploads"] if source == Envelope.Source.UPLOADS else None,
            document_template=data["document_template"]
            if source == Envelope.Source.GENERATED
            else None,
            template_data=form.template_data(),
            docusign_template_id=data["docusign_template"]
            if source == Envelope.Source.TEMPLATE
            else "",
            docusign_template_name=_template_name(data["connection"], data["docusign_template"])
            if source == Envelope.Source.TEMPLATE
            else "",
            prefill=parse_prefill(request.POST) if source == Envelope.Source.TEMPLATE else None,
            as_draft=data["as_draft"],
            team=data.get("team"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


def _template_name(connection: Connection, template_id: str) -> str:
    templates, _error = _templates(connection)  # cached: no DocuSign call while sending
    return next((t["name"] for t in templates if t["templateId"] == template_id), "")


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def template_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the roles and prefillable tabs of a DocuSign template."""
    form = TemplateFieldsQuery(request.GET)
    if not form.is_valid():
        return _bad_request(form.problem())
    # Only a connection this user may use (404 for the others).
    connection = get_object_or_404(
        usable_connections(request.user), pk=form.cleaned_data["connection"]
    )
    panel = template_compose.panel(
        connection=connection, template_id=form.cleaned_data["docusign_template"]
    )
    return render(request, "envelopes/partials/template_fields.html", {"panel": panel})


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def document_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the data fields of a document template."""
    query = DocumentFieldsQuery(request.GET)
    if not query.is_valid():
        return _bad_request(query.problem())
    key = query.cleaned_data["document_template"]
    template = selectors.usable_document_templates(request.user).filter(pk=key).first()
    form = ComposeForm(
        initial={"document_template": template.pk if template else None}, user=request.user
    )
    return render(request, "envelopes/partials/document_fields.html", {"form": form})
