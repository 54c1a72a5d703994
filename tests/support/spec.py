"""Checks a request against DocuSign's official eSignature OpenAPI (Swagger 2.0) spec.

The spec is found through settings.DOCUSIGN_SPEC_PATH (default: beside the repository, in
../shared/docusign/, as in CI). Object schemas are made strict (no properties the spec does
not define), so a misspelt field fails too. Without the spec these checks are skipped and
the run ends saying how to get it (the simulator itself stays strict: it runs on its
committed compact schema).
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings

SOURCE = (
    "https://github.com/docusign/OpenAPI-Specifications/blob/"
    "67fbd75/esignature.rest.swagger-v2.1.json"
)


def spec_path() -> Path:
    return Path(settings.DOCUSIGN_SPEC_PATH)


def missing() -> str:
    """Why the spec checks cannot run ('' when the spec is there)."""
    if spec_path().is_file():
        return ""
    return (
        f"DocuSign's eSignature spec is not at {spec_path()}: the spec-conformance checks are "
        f"skipped. Get esignature.rest.swagger-v2.1.json ({SOURCE}, 4.1 MB) and put it there "
        "or point DOCUSIGN_SPEC_PATH at it. CI (.ci/run) requires it."
    )


@cache
def spec() -> dict[str, Any]:
    return json.loads(spec_path().read_text())


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    routes = []
    for template in spec()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        routes.append((re.compile(f"^{pattern}$"), template))
    # Literal segments beat parameters: /envelopes/status before /envelopes/{envelopeId}.
    routes.sort(key=lambda r: r[1].count("{"))
    return routes


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's (path template, operation) for an actual path under /restapi."""
    for pattern, template in _routes():
        if pattern.match(path):
            operation = spec()["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    raise AssertionError(f"{method} {path} is not an operation in DocuSign's spec")


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-")}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def _definitions() -> dict[str, Any]:
    return _strict(spec()["definitions"])


def problems(method: str, path: str, query: dict[str, str], body: bytes) -> list[str]:
    """What makes this request invalid against the spec ([] when valid)."""
    template, operation = operation_for(method, path)
    found = []
    params = spec()["paths"][template].get("parameters", []) + operation.get("parameters", [])
    known_query = {p["name"] for p in params if p.get("in") == "query"}
    for name in query:
        if name not in known_query:
            found.append(f"{method} {template}: query parameter '{name}' is not in the spec")
    body_param = next((p for p in params if p.get("in") == "body"), None)
    if body_param is not None and body:
        schema = {**_strict(body_param["schema"]), "definitions": _definitions()}
        validator = jsonschema.Draft4Validator(schema)
        for error in validator.iter_errors(json.loads(body)):
            where = "/".join(str(p) for p in error.absolute_path)
            found.append(f"{method} {template}: body {where or '(root)'}: {error.message}")
    return found
