"""DocuSign's start_position/totalSetSize paging (connections.docusign.paging), once for
every listing: statuses for polling, a bulk batch's envelopes."""

from datetime import UTC, datetime

import responses

from connections.docusign import esignature
from connections.docusign.paging import pages
from tests.connections.test_client import BASE, make_client


@responses.activate
def test_pages_follow_start_position_until_the_total_is_read():
    url = f"{BASE}/envelopes"
    for ids in (["1", "2"], ["3"]):
        responses.get(
            url, json={"envelopes": [{"envelopeId": i} for i in ids], "totalSetSize": "3"}
        )
    client, *_ = make_client()
    found = list(pages(client, "/envelopes", items="envelopes", params={"a": "b"}, page_size=2))
    assert [[e["envelopeId"] for e in page] for page in found] == [["1", "2"], ["3"]]
    assert len(responses.calls) == 2
    assert "start_position=0" in responses.calls[0].request.url
    assert "start_position=2" in responses.calls[1].request.url
    assert "count=2" in responses.calls[1].request.url
    assert "a=b" in responses.calls[1].request.url


@responses.activate
def test_a_listing_that_shrinks_meanwhile_ends_at_its_empty_page():
    url = f"{BASE}/envelopes"
    responses.get(url, json={"envelopes": [{"envelopeId": "1"}], "totalSetSize": "5"})
    responses.get(url, json={"envelopes": [], "totalSetSize": "5"})
    client, *_ = make_client()
    found = list(pages(client, "/envelopes", items="envelopes", params={}, page_size=1))
    assert found == [[{"envelopeId": "1"}], []]
    assert len(responses.calls) == 2  # not an endless loop asking for what is gone


@responses.activate
def test_changed_envelope_pages_list_status_changes_with_what_polling_reads():
    responses.get(f"{BASE}/envelopes", json={"envelopes": [{"envelopeId": "1"}]})
    client, *_ = make_client()
    since = datetime(2026, 1, 2, tzinfo=UTC)
    found = list(
        esignature.changed_envelope_pages(
            client, since=since, include="recipients,custom_fields", page_size=100
        )
    )
    assert found == [[{"envelopeId": "1"}]]  # no totalSetSize: one page is all
    url = responses.calls[0].request.url
    assert "from_date=2026-01-02" in url
    assert "include=recipients%2Ccustom_fields" in url
