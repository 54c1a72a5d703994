"""Bulk Send v2 operations: one list of copies, one send, then a batch to watch.

A thousand recipients cost a list create, a send and a few status reads, not a thousand
envelope creates.
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/
"""

from collections.abc import Iterator
from typing import Any

from connections.docusign.client import DocuSignClient
from connections.docusign.paging import pages

LISTS = "/bulk_send_lists"
BATCHES = "/bulk_send_batch"
BATCH = "/bulk_send_batch/{bulkSendBatchId}"


def create_list(client: DocuSignClient, *, name: str, copies: list[dict[str, Any]]) -> str:
    """The new list's id. A duplicate list (after an unknown outcome) sends nothing."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/createbulksendlist/
    body = client.post_json(LISTS, json={"name": name, "bulkCopies": copies})
    return str(body["listId"])


def send_list(
    client: DocuSignClient, list_id: str, *, envelope_or_template_id: str, batch_name: str
) -> dict[str, Any]:
    """Queue one envelope per copy; all or nothing (DocuSign: no partial success)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/createbulksendrequest/
    return client.post_json(
        f"{LISTS}/{{bulkSendListId}}/send",
        path_params={"bulkSendListId": list_id},
        json={"envelopeOrTemplateId": envelope_or_template_id, "batchName": batch_name},
    )


def find_batches(client: DocuSignClient, *, search_text: str) -> list[dict[str, Any]]:
    """Batch summaries whose name matches `search_text` (callers compare the name exactly:
    a search is not a proof)."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatches/
    body = client.get_json(
        BATCHES, params={"search_text": search_text, "status": "all", "count": "100"}
    )
    return list(body.get("bulkBatchSummaries") or [])


def batch_status(client: DocuSignClient, batch_id: str) -> dict[str, Any]:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatchstatus/
    return client.get_json(BATCH, path_params={"bulkSendBatchId": batch_id})


def batch_envelopes(
    client: DocuSignClient, batch_id: str, *, page_size: int = 1000
) -> Iterator[dict[str, Any]]:
    """Every envelope the batch has created so far, with custom fields and recipients; one
    call per page of up to 1,000."""
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/bulkenvelopes/bulksend/getbulksendbatchenvelopes/
    for page in pages(
        client,
        f"{BATCH}/envelopes",
        items="envelopes",
        path_params={"bulkSendBatchId": batch_id},
        params={"include": "custom_fields,recipients", "order": "asc", "order_by": "created"},
        page_size=page_size,
    ):
        yield from page
