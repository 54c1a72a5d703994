"""Bulk Send client calls against `responses` stubs: paths, bodies, paging, errors."""

import json

import pytest
import responses

from connections.docusign import bulk_send, errors
from tests.connections.test_client import BASE, make_client


@responses.activate
def test_create_list_posts_the_copies_and_returns_the_list_id():
    responses.post(f"{BASE}/bulk_send_lists", json={"listId": "L1", "name": "n"}, status=201)
    client, *_ = make_client()
    copies = [{"recipients": [{"roleName": "Signer", "name": "A", "email": "a@example.com"}]}]
    assert bulk_send.create_list(client, name="n", copies=copies) == "L1"
    assert json.loads(responses.calls[0].request.body or b"") == {"name": "n", "bulkCopies": copies}


@responses.activate
def test_send_names_the_draft_and_the_batch_and_is_never_retried_blindly():
    responses.post(f"{BASE}/bulk_send_lists/L1/send", status=503, json={})
    client, _sleeps, *_ = make_client()
    with pytest.raises(errors.DocuSignError):
        bulk_send.send_list(client, "L1", envelope_or_template_id="E1", batch_name="cs-1")
    assert len(responses.calls) == 1  # a POST that may have worked is not repeated here
    assert json.loads(responses.calls[0].request.body or b"") == {
        "envelopeOrTemplateId": "E1",
        "batchName": "cs-1",
    }


@responses.activate
def test_find_batches_searches_by_name():
    responses.get(
        f"{BASE}/bulk_send_batch",
        json={"bulkBatchSummaries": [{"batchId": "B1", "batchName": "cs-1"}]},
    )
    client, *_ = make_client()
    assert bulk_send.find_batches(client, search_text="cs-1")[0]["batchId"] == "B1"
    assert "search_text=cs-1" in responses.calls[0].request.url


@responses.activate
def test_batch_envelopes_pages_through_every_envelope():
    url = f"{BASE}/bulk_send_batch/B1/envelopes"
    responses.get(url, json={"envelopes": [{"envelopeId": "1"}], "totalSetSize": "2"})
    responses.get(url, json={"envelopes": [{"envelopeId": "2"}], "totalSetSize": "2"})
    client, *_ = make_client()
    found = list(bulk_send.batch_envelopes(client, "B1", page_size=1))
    assert [e["envelopeId"] for e in found] == ["1", "2"]
    assert "start_position=1" in responses.calls[1].request.url
    assert "include=custom_fields%2Crecipients" in responses.calls[0].request.url


@responses.activate
def test_a_bulk_send_error_names_docusigns_code():
    responses.get(
        f"{BASE}/bulk_send_batch/B9",
        status=400,
        json={"errorCode": "BULK_SEND_BATCH_NOT_FOUND", "message": "no such batch"},
    )
    client, *_ = make_client()
    with pytest.raises(errors.DocuSignError) as caught:
        bulk_send.batch_status(client, "B9")
    assert caught.value.error_code == "BULK_SEND_BATCH_NOT_FOUND"
