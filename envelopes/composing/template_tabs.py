"""A DocuSign template's roles and fillable tabs: read (cached by the template's
`lastModified`), offered as typed inputs, validated, and turned into the tabs DocuSign expects.

Signer roles' tabs travel in `templateRoles[].tabs`, one collection per type (a checkbox's
`selected`, a list's `value` and `listItems`, a radio group's `radios[].selected`). The
sender's own tabs (`prefillTabs`, on the template's documents) cannot travel in the create
call: the envelope is created as a draft, its prefill tabs set by `tabId`
(`PUT …/documents/{documentId}/tabs`), then sent (`fill_sender_tabs`).

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/templates/templates/get/
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from common.cache import cache_get, cache_set
from connections.docusign import esignature
from connections.models import Connection
from connections.services import get_client
from envelopes.models import Recipient

logger = logging.getLogger("countersign.envelopes")

# Tab collections a sender may fill in for a role, and the input each gets.
ROLE_INPUTS = {
    "textTabs": "text",
    "companyTabs": "text",
    "titleTabs": "text",
    "numberTabs": "number",
    "dateTabs": "date",
    "emailTabs": "email",
    "checkboxTabs": "checkbox",
    "listTabs": "list",
    "radioGroupTabs": "radio",
}
# The sender's own tabs (DocuSign's prefillTabs): senderName/senderCompany fill themselves.
SENDER_INPUTS = {"textTabs": "text", "checkboxTabs": "checkbox", "radioGroupTabs": "radio"}
RECIPIENT_KINDS = {collection: kind for kind, collection in Recipient.DOCUSIGN_LISTS.items()}
DOCUSIGN_DATE = "%m/%d/%Y"  # the format DocuSign's date tabs recommend (MM/DD/YYYY)
VERSION_SECONDS = 600  # how long the last seen lastModified is trusted for offering fields
DESCRIPTION_SECONDS = 7 * 24 * 3600  # a given lastModified never changes
# In the description's cache key: bump it when TemplateFields changes shape, so a deploy never
# reads descriptions pickled by the previous code.
CACHE_FORMAT = 1
STALE = "This template changed at DocuSign since you opened it: review the fields."


@dataclass(frozen=True)
class TabField:
    role: str  # "" for the sender's own (prefill) tabs
    collection: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, text) of a list or radio group
    max_length: int | None = None
    document_id: str = ""

    @property
    def key(self) -> str:
        """The form field's name: stable across template versions, so values typed for a
        field that still exists survive a change."""
        digest = hashlib.sha256(f"{self.role}\0{self.collection}\0{self.label}".encode())
        return f"tab-{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class TemplateRole:
    name: str
    routing_order: int
    recipient_type: str  # DocuSign's recipients list: signers, carbonCopies, …
    fields: tuple[TabField, ...] = ()

    @property
    def key(self) -> str:
        return f"role-{hashlib.sha256(self.name.encode()).hexdigest()[:16]}"

    @property
    def kind(self) -> str:
        return RECIPIENT_KINDS.get(self.recipient_type, Recipient.Kind.SIGNER)

    @property
    def kind_label(self) -> str:
        return str(Recipient.Kind(self.kind).label)

    @property
    def signs(self) -> bool:
        return self.kind in (Recipient.Kind.SIGNER, Recipient.Kind.IN_PERSON)


@dataclass(frozen=True)
class TemplateFields:
    template_id: str
    name: str
    last_modified: str
    roles: tuple[TemplateRole, ...]
    sender_fields: tuple[TabField, ...]
    documents: tuple[tuple[str, str], ...]  # (documentId, name)

    def all_fields(self) -> list[TabField]:
        return [f for r in self.roles for f in r.fields] + list(self.sender_fields)


@dataclass
class TemplateInput:
    """What the sender filled in, checked: recipients per role and DocuSign-shaped tabs."""

    roles: list[tuple[TemplateRole, str, str, bool]] = field(default_factory=list)
    role_tabs: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    sender_tabs: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)


class TemplateInputError(ValidationError):
    """Per-field problems (`field_errors`: form field name → message), or a stale template."""

    def __init__(self, field_errors: dict[str, str], *, stale: bool = False) -> None:
        self.field_errors, self.stale = field_errors, stale
        messages = [STALE] if stale else []
        super().__init__(messages + list(field_errors.values()))


# --- reading the template ----------------------------------------------------------------


def tab_label(collection: str, tab: dict[str, Any]) -> str:
    label = tab.get("groupName") if collection == "radioGroupTabs" else tab.get("tabLabel")
    return str(label or "")


def _choices(collection: str, tab: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    if collection == "listTabs":
        return tuple(
            (str(i.get("value")), str(i.get("text") or i.get("value")))
            for i in tab.get("listItems") or []
        )
    if collection == "radioGroupTabs":
        return tuple((str(r.get("value")), str(r.get("value"))) for r in tab.get("radios") or [])
    return ()


def _fields(
    tabs: dict[str, Any], inputs: dict[str, str], *, role: str, document_id: str = ""
) -> tuple[TabField, ...]:
    found = []
    for collection, kind in inputs.items():
        for tab in tabs.get(collection) or []:
            if not isinstance(tab, dict) or not tab_label(collection, tab):
                continue
            if str(tab.get("locked", "")).lower() == "true":
                continue  # a locked tab shows the template's value: nothing to fill
            max_length = str(tab.get("maxLength") or "")
            found.append(
                TabField(
                    role=role,
                    collection=collection,
                    label=tab_label(collection, tab),
                    kind=kind,
                    choices=_choices(collection, tab),
                    max_length=int(max_length) if max_length.isdigit() else None,
                    document_id=document_id,
                )
            )
    return tuple(found)


def parse_template(
    body: dict[str, Any], document_tabs: dict[str, dict[str, Any]]
) -> TemplateFields:
    """The roles and fields of GET templates/{id}?include=tabs,documents, with each
    document's tabs (for its prefillTabs)."""
    roles = []
    for recipient_type, items in (body.get("recipients") or {}).items():
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not item.get("roleName"):
                continue
            name = str(item["roleName"])
            roles.append(
                TemplateRole(
                    name=name,
                    routing_order=int(item.get("routingOrder") or 1),
                    recipient_type=recipient_type,
                    fields=_fields(item.get("tabs") or {}, ROLE_INPUTS, role=name),
                )
            )
    roles.sort(key=lambda r: (r.routing_order, r.name))
    sender = tuple(
        f
        for doc_id, tabs in document_tabs.items()
        for f in _fields(tabs.get("prefillTabs") or {}, SENDER_INPUTS, role="", document_id=doc_id)
    )
    return TemplateFields(
        template_id=str(body.get("templateId") or ""),
        name=str(body.get("name") or ""),
        last_modified=str(body.get("lastModified") or ""),
        roles=tuple(roles),
        sender_fields=sender,
        documents=tuple(
            (str(d.get("documentId")), str(d.get("name") or ""))
            for d in body.get("documents") or []
        ),
    )


def _version_key(connection: Connection, template_id: str) -> str:
    return f"envelopes:template-version:{connection.pk}:{connection.account_id}:{template_id}"


def _description_key(connection: Connection, template_id: str, version: str) -> str:
    return (
        f"envelopes:template:v{CACHE_FORMAT}:{connection.pk}:{connection.account_id}:"
        f"{template_id}:{version}"
    )


def describe(*, connection: Connection, template_id: str, refresh: bool = False) -> TemplateFields:
    """The template's roles and fields. Cached by `lastModified`: a change at DocuSign is a
    new entry, never a stale one (`current_version` finds out before sending)."""
    if not refresh:
        version = cache_get(_version_key(connection, template_id))
        found = cache_get(_description_key(connection, template_id, version)) if version else None
        if isinstance(found, TemplateFields):
            return found
    client = get_client(connection, interactive=True)
    body = esignature.get_template(client, template_id, include="tabs,documents")
    version = str(body.get("lastModified") or "")
    found = cache_get(_description_key(connection, template_id, version))
    if not isinstance(found, TemplateFields):
        tabs = {
            str(d.get("documentId")): esignature.template_document_tabs(
                client, template_id, str(d.get("documentId"))
            )
            for d in body.get("documents") or []
        }
        found = parse_template(body, tabs)
        cache_set(_description_key(connection, template_id, version), found, DESCRIPTION_SECONDS)
    cache_set(_version_key(connection, template_id), version, VERSION_SECONDS)
    return found


def current_version(*, connection: Connection, template_id: str) -> str:
    """The template's `lastModified` at DocuSign now (one call, without tabs)."""
    body = esignature.get_template(get_client(connection, interactive=True), template_id)
    version = str(body.get("lastModified") or "")
    cache_set(_version_key(connection, template_id), version, VERSION_SECONDS)
    return version


# --- checking what the sender typed ------------------------------------------------------


def _what(f: TabField) -> str:
    return f"{f.role or 'Your own field'}: {f.label}"


def clean_value(f: TabField, raw: str) -> dict[str, Any] | None:
    """The tab to send for a value typed for `f` (None: leave the template's value).
    Raises ValidationError saying what is wrong and how to write it."""
    raw = raw.strip()
    base: dict[str, Any] = {"tabLabel": f.label}
    if f.kind == "checkbox":
        if raw not in ("", "on", "true"):
            raise ValidationError(f"{_what(f)}: tick the box or leave it empty.")
        return {**base, "selected": "true"} if raw else None
    if not raw:
        return None
    if f.kind == "number":
        try:
            number = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(f"{_what(f)}: '{raw}' is not a number (e.g. 12 or 1250.50).")
        return {**base, "value": raw.replace(",", "")}
    if f.kind == "date":
        return {**base, "value": _date(raw, f).strftime(DOCUSIGN_DATE)}
    if f.kind == "email":
        try:
            validate_email(raw)
        except ValidationError:
            raise ValidationError(f"{_what(f)}: '{raw}' is not an email address.") from None
    if f.kind in ("list", "radio"):
        values = [value for value, _text in f.choices]
        if raw not in values:
            texts = ", ".join(text for _value, text in f.choices)
            raise ValidationError(f"{_what(f)}: '{raw}' is not one of its choices ({texts}).")
        if f.kind == "radio":
            return {"groupName": f.label, "radios": [{"value": raw, "selected": "true"}]}
        items = [
            {"text": text, "value": value, "selected": "true" if value == raw else "false"}
            for value, text in f.choices
        ]
        return {**base, "value": raw, "listItems": items}
    if f.max_length is not None and len(raw) > f.max_length:
        raise ValidationError(
            f"{_what(f)}: at most {f.max_length} characters (this has {len(raw)})."
        )
    return {**base, "value": raw}


def _date(raw: str, f: TabField) -> date:
    for pattern in ("%Y-%m-%d", DOCUSIGN_DATE):
        try:
            return datetime.strptime(raw, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise ValidationError(
        f"{_what(f)}: '{raw}' is not a date; use the date picker or write it as 2026-01-31."
    )


def read_input(fields: TemplateFields, data: Any, *, people: bool = True) -> TemplateInput:
    """The recipients and tabs the sender filled in (`data`: the posted form). Every problem
    is reported at once, each under its field's name (`people=False`: the values alone, for
    a preview before the recipients are known)."""
    errors: dict[str, str] = {}
    result = TemplateInput()
    for role in fields.roles if people else ():
        name = str(data.get(f"{role.key}-name", "")).strip()
        email = str(data.get(f"{role.key}-email", "")).strip()
        embedded = bool(data.get(f"{role.key}-embedded")) and role.signs
        if not name:
            errors[f"{role.key}-name"] = f"{role.name}: enter the name of who fills this role."
        if not email:
            errors[f"{role.key}-email"] = f"{role.name}: enter their email address."
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors[f"{role.key}-email"] = f"{role.name}: '{email}' is not an email address."
        result.roles.append((role, name, email, embedded))
    for f in fields.all_fields():
        try:
            tab = clean_value(f, str(data.get(f.key, "")))
        except ValidationError as exc:
            errors[f.key] = exc.messages[0]
            continue
        if tab is None:
            continue
        if f.role:
            result.role_tabs.setdefault(f.role, {}).setdefault(f.collection, []).append(tab)
        else:
            per_document = result.sender_tabs.setdefault(f.document_id, {})
            per_document.setdefault(f.collection, []).append(tab)
    if errors:
        raise TemplateInputError(errors)
    return result


# --- sending ------------------------------------------------------------------------------
