"""Derive the simulator's compact schema from DocuSign's official eSignature spec.

The simulator checks requests at run time against `docusign.json` beside this file, so it
stays strict on a clone without DocuSign's 4 MB spec. Regenerate after changing SIMULATED or
updating the spec:

    .venv/bin/python -m simulator.esign.schema.derive [path/to/esignature.rest.swagger-v2.1.json]

A test (tests/simulator/test_spec_schema.py) fails when the committed file differs from what
this derives from the spec in settings.DOCUSIGN_SPEC_PATH.
"""

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("docusign.json")
# As settings.DOCUSIGN_SPEC_PATH: the environment variable, else ../shared beside the
# repository or the nearest one above it.
_SPEC = Path("shared/docusign/esignature.rest.swagger-v2.1.json")
_REPO = Path(__file__).resolve().parents[3]
DEFAULT_SPEC = Path(
    os.environ.get("DOCUSIGN_SPEC_PATH")
    or next((p / _SPEC for p in _REPO.parents if (p / _SPEC).exists()), _REPO.parent / _SPEC)
)
# The operations the simulator serves (operationIds in DocuSign's spec).
SIMULATED = (
    "Accounts_GetAccount",
    "AccountIdentityVerification_GetAccountIdentityVerification",
    "Envelopes_PostEnvelopes",
    "Envelopes_GetEnvelopes",
    "Envelopes_GetEnvelope",
    "Envelopes_PutEnvelope",
    "Recipients_GetRecipients",
    "Recipients_PutRecipients",
    "Recipients_GetRecipientTabs",
    "Documents_GetDocuments",
    "Documents_GetDocument",
    "Views_PostEnvelopeRecipientView",
    "Views_PostEnvelopeSenderView",
    "Views_PostEnvelopeCorrectView",
    "Notification_GetEnvelopesEnvelopeIdNotification",
    "Notification_PutEnvelopesEnvelopeIdNotification",
    "Templates_GetTemplates",
    "Templates_GetTemplate",
    "Recipients_GetTemplateRecipients",
    "Documents_GetTemplateDocument",
    "Tabs_GetTemplateDocumentTabs",
    "Tabs_GetDocumentTabs",
    "Tabs_PutDocumentTabs",
    "BulkSendV2CRUD_GetBulkSendLists",
    "BulkSendV2CRUD_PostBulkSendList",
    "BulkSendV2CRUD_GetBulkSendList",
    "BulkSendV2Send_PostBulkSendRequest",
    "BulkSendV2Batch_GetBulkSendBatches",
    "BulkSendV2Batch_GetBulkSendBatchStatus",
    "BulkSendV2Envelopes_GetBulkSendBatchEnvelopes",
)
# Schema keywords that matter for validation; descriptions and x-ds-* are dropped.
_KEEP = {"type", "properties", "items", "$ref", "additionalProperties", "enum"}


def _strict(schema: Any) -> Any:
    """Keep what validates; objects with declared properties accept no others."""
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _strict(prop) for name, prop in value.items()}
        elif key in _KEEP:
            out[key] = _strict(value)
    if out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["$ref"].rsplit("/", 1)[-1]} if "$ref" in schema else set()
        return found.union(*(_refs(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema))
    return set()


def derive(spec: dict[str, Any], *, sha256: str) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    others: list[list[str]] = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            if op["operationId"] not in SIMULATED:
                others.append([method.upper(), path, op["operationId"]])
                continue
            params = shared + op.get("parameters", [])
            body = next((p for p in params if p.get("in") == "body"), None)
            operations[op["operationId"]] = {
                "method": method.upper(),
                "path": path,
                "query": sorted(p["name"] for p in params if p.get("in") == "query"),
                "body": _strict(body["schema"]) if body else None,
            }
    missing = set(SIMULATED) - set(operations)
    if missing:
        raise SystemExit(f"Not in the spec: {', '.join(sorted(missing))}")
    wanted, todo = set(), {r for op in operations.values() for r in _refs(op["body"])}
    while todo:
        name = todo.pop()
        wanted.add(name)
        todo |= _refs(spec["definitions"].get(name, {})) - wanted
    return {
        "source": {"file": "esignature.rest.swagger-v2.1.json", "sha256": sha256},
        "operations": dict(sorted(operations.items())),
        "not_simulated": sorted(others, key=lambda o: (o[1], o[0])),
        # The spec refers to a few definitions it lacks (offlineAttributes): any value passes.
        "definitions": {
            name: _strict(spec["definitions"].get(name, {})) for name in sorted(wanted)
        },
    }


def derive_from(spec_path: Path) -> str:
    """The schema file's exact text for the spec at `spec_path`."""
    raw = spec_path.read_bytes()
    schema = derive(json.loads(raw), sha256=hashlib.sha256(raw).hexdigest())
    return json.dumps(schema, indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> None:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    OUTPUT.write_text(derive_from(spec_path))
    sys.stdout.write(f"Wrote {OUTPUT} from {spec_path}\n")


if __name__ == "__main__":
    main(sys.argv)
