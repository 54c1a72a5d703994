"""Template tabs at send time: each role's values go in the create, the sender's own tabs
are set on the draft (`PUT …/documents/{documentId}/tabs`) before it is sent."""

import logging
from typing import Any

from connections.docusign import esignature
from connections.docusign.client import DocuSignClient
from envelopes.composing.template_tabs import tab_label
from envelopes.models import Envelope

logger = logging.getLogger("countersign.envelopes")


def role_tabs(envelope: Envelope, role_name: str) -> dict[str, Any]:
    """The `tabs` of a template role in the create call (older envelopes kept text values
    under `prefill`)."""
    given = (envelope.template_data.get("tabs") or {}).get(role_name) or {}
    tabs: dict[str, list[dict[str, Any]]] = {c: list(items) for c, items in given.items()}
    legacy = (envelope.template_data.get("prefill") or {}).get(role_name) or {}
    if legacy:
        tabs.setdefault("textTabs", []).extend(
            {"tabLabel": label, "value": value} for label, value in legacy.items()
        )
    return tabs


def has_sender_tabs(envelope: Envelope) -> bool:
    return bool(envelope.template_data.get("sender_tabs"))


def fill_sender_tabs(
    client: DocuSignClient, envelope: Envelope, summary: dict[str, Any]
) -> dict[str, Any]:
    """Set the sender's prefill tabs on the draft just created (or found again after a lost
    answer), then send it unless a draft was asked for. Safe to repeat: the values are set
    by tabId and only a draft is sent."""
    docusign_id = str(summary["envelopeId"])
    if str(summary.get("status") or "") != Envelope.Status.CREATED:
        return summary  # an earlier attempt finished the job
    for document_id, wanted in (envelope.template_data.get("sender_tabs") or {}).items():
        held = esignature.document_tabs(client, docusign_id, document_id).get("prefillTabs") or {}
        body = _with_tab_ids(held, wanted)
        if body:
            esignature.update_document_tabs(client, docusign_id, document_id, {"prefillTabs": body})
    if envelope.as_draft:
        return summary
    esignature.send_draft(client, docusign_id)
    return {**summary, "status": Envelope.Status.SENT}


def _with_tab_ids(
    held: dict[str, Any], wanted: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Our values, each with the tabId DocuSign gave the tab of that label in this envelope."""
    body: dict[str, list[dict[str, Any]]] = {}
    for collection, tabs in wanted.items():
        ids = {tab_label(collection, t): t.get("tabId") for t in held.get(collection) or []}
        for tab in tabs:
            tab_id = ids.get(tab_label(collection, tab))
            if tab_id is None:  # removed from the template after compose checked it
                logger.warning(
                    "No sender tab %r in the envelope; skipped", tab_label(collection, tab)
                )
                continue
            body.setdefault(collection, []).append({**tab, "tabId": tab_id})
    return body
