"""The client's template and document-tab calls, against `responses`: paths, queries, bodies."""

import json
from urllib.parse import parse_qs, urlsplit

import responses

from connections.docusign import esignature
from tests.connections.test_client import BASE, make_client

TEMPLATE = "5f0b6f5e-0000-0000-0000-000000000001"
ENVELOPE = "9a3c1f00-0000-0000-0000-000000000002"


def query(n):
    return {k: v[0] for k, v in parse_qs(urlsplit(responses.calls[n].request.url).query).items()}


@responses.activate
def test_get_template_asks_for_what_it_includes():
    responses.get(
        f"{BASE}/templates/{TEMPLATE}",
        json={"templateId": TEMPLATE, "lastModified": "2026-11-30T10:00:00.0000000Z"},
    )
    client, *_ = make_client()
    body = esignature.get_template(client, TEMPLATE, include="tabs,documents")
    assert body["lastModified"] == "2026-11-30T10:00:00.0000000Z"
    assert query(0) == {"include": "tabs,documents"}
    esignature.get_template(client, TEMPLATE)
    assert query(1) == {}


@responses.activate
def test_template_document_tabs_and_document():
    responses.get(
        f"{BASE}/templates/{TEMPLATE}/documents/1/tabs",
        json={"prefillTabs": {"textTabs": [{"tabLabel": "order_ref", "tabId": "t1"}]}},
    )
    responses.get(
        f"{BASE}/templates/{TEMPLATE}/documents/1",
        body=b"%PDF-1.4 template",
        content_type="application/pdf",
    )
    client, *_ = make_client()
    tabs = esignature.template_document_tabs(client, TEMPLATE, "1")
    assert tabs["prefillTabs"]["textTabs"][0]["tabId"] == "t1"
    content_type, chunks = esignature.template_document(client, TEMPLATE, "1")
    assert content_type == "application/pdf"
    assert b"".join(chunks) == b"%PDF-1.4 template"


@responses.activate
def test_document_tabs_are_read_and_set_by_tab_id():
    url = f"{BASE}/envelopes/{ENVELOPE}/documents/1/tabs"
    responses.get(url, json={"prefillTabs": {"textTabs": [{"tabId": "t9"}]}})
    responses.put(url, json={"prefillTabs": {"textTabs": [{"tabId": "t9", "value": "PO-1"}]}})
    client, *_ = make_client()
    held = esignature.document_tabs(client, ENVELOPE, "1")
    assert held["prefillTabs"]["textTabs"][0]["tabId"] == "t9"
    body = {"prefillTabs": {"textTabs": [{"tabId": "t9", "value": "PO-1"}]}}
    esignature.update_document_tabs(client, ENVELOPE, "1", body)
    assert json.loads(responses.calls[1].request.body or b"") == body


@responses.activate
def test_template_recipients_come_with_their_tabs():
    responses.get(f"{BASE}/templates/{TEMPLATE}/recipients", json={"signers": []})
    client, *_ = make_client()
    esignature.template_recipients(client, TEMPLATE)
    assert query(0) == {"include_tabs": "true"}
