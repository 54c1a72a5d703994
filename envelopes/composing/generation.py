"""Documents generated from data: a DocumentTemplate rendered to HTML, which DocuSign signs.

Anchor strings in the template place the fields: `/sig1/` and `/date1/` for the first
signer, `/sig2/` and `/date2/` for the second, and so on.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.library import Library, import_library
from django.utils.html import escape

from envelopes.models import DocumentTemplate

# A sandbox-ish engine: no template loaders, no custom tags; autoescaping on. Only the
# default tags and filters, without those that reach beyond the document's own data
# (`include`/`extends` read files, `debug` dumps the context, `load` adds tags).
_ENGINE = Engine(autoescape=True, libraries={})
_TAGS = import_library("django.template.defaulttags")
_SAFE = Library()
_SAFE.tags = {k: v for k, v in _TAGS.tags.items() if k not in {"debug", "load"}}
_ENGINE.template_builtins = [_SAFE, import_library("django.template.defaultfilters")]


def validate_body(body: str) -> None:
    try:
        _ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"The template does not parse: {exc}", code="syntax") from None


def clean_data(template: DocumentTemplate, data: dict[str, Any]) -> dict[str, str]:
    """The data for the template's fields; every required field must have a value."""
    values: dict[str, str] = {}
    missing = []
    for field in template.fields:
        name = str(field["name"])
        value = str(data.get(name, "")).strip()
        if not value and field.get("required", True):
            missing.append(str(field.get("label") or name))
        values[name] = value
    if missing:
        raise ValidationError(
            f"Fill in {', '.join(missing)}: the document template needs them.", code="missing"
        )
    return values


def render_document(template: DocumentTemplate, data: dict[str, Any]) -> str:
    """The template rendered with the cleaned data, as a complete HTML page."""
    try:
        compiled = _ENGINE.from_string(template.body)
    except TemplateSyntaxError as exc:  # a body saved before these checks, or by hand
        raise ValidationError(f"The document template does not parse: {exc}") from None
    body = compiled.render(Context(clean_data(template, data)))
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{escape(template.name)}</title></head><body>{body}</body></html>"
    )


def render_with(template: DocumentTemplate, values: dict[str, Any]) -> str:
    """The template rendered with `values` as given (safe strings stay unescaped), as a
    complete HTML page: bulk send puts each field's anchor where its value will go."""
    try:
        compiled = _ENGINE.from_string(template.body)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"The document template does not parse: {exc}") from None
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{escape(template.name)}</title></head><body>{compiled.render(Context(values))}"
        "</body></html>"
    )
