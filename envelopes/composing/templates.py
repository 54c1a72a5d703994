"""Compose from a DocuSign template: the roles and fields panel, and sending what was filled
in once the template is known to be the one the sender saw."""

import logging
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from connections.docusign.errors import DocuSignError
from connections.models import Connection
from envelopes.composing import prepare, tab_display, template_tabs
from envelopes.composing.forms import ComposeForm
from envelopes.composing.prepare import RecipientInput
from envelopes.composing.template_tabs import STALE, TabField, TemplateInputError
from envelopes.models import Envelope

logger = logging.getLogger("countersign.envelopes")


def _field_row(f: TabField, data: Any, errors: dict[str, str]) -> dict[str, Any]:
    value = str(data.get(f.key, "")) if data is not None else ""
    return {
        "field": f,
        "key": f.key,
        "value": value,
        "error": errors.get(f.key, ""),
        "choices": [(v, text, v == value) for v, text in f.choices],
    }


def panel(
    *,
    connection: Connection | None,
    template_id: str,
    data: Any = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    refresh: bool = False,
) -> dict[str, Any]:
    """What the template fields partial shows: each role as a row to fill, its fields by
    type, the sender's own fields, with what was typed and each field's problem."""
    if connection is None or not template_id:
        return {}
    try:
        fields = template_tabs.describe(
            connection=connection, template_id=template_id, refresh=refresh
        )
    except DocuSignError as exc:
        return {"error": exc.with_advice}
    errors = errors or {}

    def typed(key: str) -> str:
        return str(data.get(key, "")) if data is not None else ""

    roles = [
        {
            "role": role,
            "name": typed(f"{role.key}-name"),
            "email": typed(f"{role.key}-email"),
            "embedded": bool(typed(f"{role.key}-embedded")),
            "name_error": errors.get(f"{role.key}-name", ""),
            "email_error": errors.get(f"{role.key}-email", ""),
            "fields": [_field_row(f, data, errors) for f in role.fields],
        }
        for role in fields.roles
    ]
    return {
        "template": fields,
        "roles": roles,
        "sender_fields": [_field_row(f, data, errors) for f in fields.sender_fields],
        "stale": stale,
    }


def send(request: HttpRequest, form: ComposeForm) -> tuple[Envelope | None, dict[str, Any]]:
    """Queue the envelope from what the sender filled in; or (None, the panel showing why
    not). The template is checked at DocuSign first: a changed one is never sent with the
    fields the sender saw before the change."""
    data = form.cleaned_data
    connection, template_id = data["connection"], data["docusign_template"]
    posted = request.POST
    try:
        version = template_tabs.current_version(connection=connection, template_id=template_id)
    except DocuSignError as exc:
        form.add_error(None, f"DocuSign could not be asked about the template: {exc.with_advice}")
        return None, panel(connection=connection, template_id=template_id, data=posted)
    if posted.get("template_version", "") != version:
        form.add_error(None, STALE)
        fresh = panel(connection=connection, template_id=template_id, data=posted, stale=True)
        return None, fresh
    fields = template_tabs.describe(connection=connection, template_id=template_id)
    try:
        given = template_tabs.read_input(fields, posted)
    except TemplateInputError as exc:
        count = len(exc.field_errors)
        form.add_error(
            None, f"{count} template field{'s' if count > 1 else ''} need attention: see below."
        )
        shown = panel(
            connection=connection, template_id=template_id, data=posted, errors=exc.field_errors
        )
        return None, shown
    try:
        envelope = prepare.prepare_envelope(
            connection=connection,
            sender=request.user,  # type: ignore[arg-type]
            subject=data["subject"],
            message=data["message"],
            recipients=_recipients(given.roles),
            docusign_template_id=template_id,
            docusign_template_name=fields.name,
            role_tabs=given.role_tabs,
            sender_tabs=given.sender_tabs,
            as_draft=data["as_draft"],
            team=data.get("team"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None, panel(connection=connection, template_id=template_id, data=posted)
    return envelope, {}


def preview(request: HttpRequest, form: ComposeForm) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the panel, the preview): the template's documents as DocuSign renders them, and the
    values that will be filled in, checked like a send (the recipients may still be blank)."""
    data = form.cleaned_data
    connection, template_id = data["connection"], data["docusign_template"]
    posted = request.POST
    shown = panel(connection=connection, template_id=template_id, data=posted)
    fields = shown.get("template")
    if fields is None:
        return shown, {}
    try:
        given = template_tabs.read_input(fields, posted, people=False)
    except TemplateInputError as exc:
        form.add_error(None, "Some template fields need attention before a preview: see below.")
        errors = exc.field_errors
        return panel(connection=connection, template_id=template_id, data=posted, errors=errors), {}
    frames = [
        (
            name,
            reverse("envelopes:template-preview")
            + "?"
            + urlencode(
                {"connection": connection.pk, "docusign_template": template_id, "document": doc}
            ),
        )
        for doc, name in fields.documents
    ]
    return shown, {"frames": frames, "values": tab_display.values_to_fill(given)}


def _recipients(roles: list[tuple[Any, str, str, bool]]) -> list[RecipientInput]:
    return [
        RecipientInput(
            name=name,
            email=email,
            kind=role.kind,
            routing_order=role.routing_order,
            embedded=embedded,
            role_name=role.name,
        )
        for role, name, email, embedded in roles
    ]
