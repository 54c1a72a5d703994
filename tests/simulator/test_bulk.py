"""The simulated Bulk Send v2: DocuSign's checks on lists and sends, all-or-nothing queueing,
copies made into envelopes over time, failures reported per copy."""

import time

import pytest

from simulator.esign.bulk_queue import stop_workers
from simulator.models import SimBulkBatch, SimEnvelope
from tests.simulator.test_esign import document, signer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _prompt(settings):
    settings.SIMULATOR_BULK_START_SECONDS = 0
    settings.SIMULATOR_BULK_COPIES_PER_SECOND = 1000


def draft(api, **extra):
    body = {
        "status": "created",
        "emailSubject": "Offer",
        "documents": [document()],
        "recipients": {"signers": [signer(1, roleName="Signer")]},
        "customFields": {"textCustomFields": [{"name": "countersign_id", "value": ""}]},
        **extra,
    }
    response = api("POST", "/envelopes", body)
    assert response.status_code == 201, response.content
    return response.json()["envelopeId"]


def copy(n, email=None, **extra):
    return {
        "recipients": [
            {
                "roleName": "Signer",
                "name": f"Person {n}",
                "email": email or f"p{n}@example.com",
                "tabs": [{"tabLabel": "printed_name", "initialValue": f"Person {n}"}],
            }
        ],
        "customFields": [{"name": "countersign_id", "value": f"row-{n}"}],
        **extra,
    }


def make_list(api, copies):
    return api("POST", "/bulk_send_lists", {"name": "l", "bulkCopies": copies})


def settle(batch_id):
    for _ in range(100):
        sim = SimBulkBatch.objects.get(batch_id=batch_id)
        if sim.processed == len(sim.copies):
            return sim
        time.sleep(0.05)
    raise AssertionError("copies not made")


def test_a_batch_becomes_envelopes_and_reports_each_failed_copy(api):
    envelope_id = draft(api)
    list_id = make_list(api, [copy(1), copy(2, email="p2@example.invalid"), copy(3)]).json()[
        "listId"
    ]
    sent = api(
        "POST",
        f"/bulk_send_lists/{list_id}/send",
        {"envelopeOrTemplateId": envelope_id, "batchName": "b"},
    )
    assert sent.status_code == 201, sent.content
    batch_id = sent.json()["batchId"]
    assert sent.json()["batchSize"] == "3"
    settle(batch_id)
    stop_workers()
    status = api("GET", f"/bulk_send_batch/{batch_id}").json()
    assert (status["queued"], status["sent"], status["failed"]) == ("0", "2", "1")
    assert status["bulkErrors"][0]["recipientEmails"] == ["p2@example.invalid"]
    listed = api(
        "GET", f"/bulk_send_batch/{batch_id}/envelopes", include="custom_fields,recipients"
    ).json()
    assert listed["totalSetSize"] == "2"
    made = SimEnvelope.objects.get(custom_fields__countersign_id="row-3")
    assert made.status == "sent"
    assert made.recipients.get().tabs["textTabs"][0]["value"] == "Person 3"
    assert SimEnvelope.objects.get(envelope_id=envelope_id).status == "created"  # the draft
    found = api("GET", "/bulk_send_batch", search_text="b").json()["bulkBatchSummaries"]
    assert [b["batchId"] for b in found] == [batch_id]


@pytest.mark.parametrize(
    ("copies", "code"),
    [
        ([copy(1, email="not-an-email")], "BULK_SEND_EMAIL_ADDRESS_NOT_VALID"),
        (
            [{"recipients": [{"roleName": "Signer", "email": "a@example.com"}]}],
            "BULK_SEND_RECIPIENT_NAME_REQUIRED",
        ),
        (
            [
                {
                    "recipients": [
                        {"roleName": "S", "recipientId": "1", "name": "A", "email": "a@example.com"}
                    ]
                }
            ],
            "BULK_SEND_CANNOT_USE_BOTH_ROLE_AND_ID_ON_SAME_RECIPIENT",
        ),
        ([copy(n) for n in range(1001)], "BULK_SEND_MAX_COPIES_EXCEEDED"),
    ],
)
def test_bad_lists_get_docusigns_codes(api, copies, code):
    response = make_list(api, copies)
    assert (response.status_code, response.json()["errorCode"]) == (400, code)


@pytest.mark.parametrize(
    ("bad_copy", "code"),
    [
        (
            {"recipients": [{"roleName": "Witness", "name": "W", "email": "w@example.com"}]},
            "BULK_SEND_RECIPIENT_ROLE_DOES_NOT_MATCH",
        ),
        (
            copy(1) | {"customFields": [{"name": "unknown", "value": "x"}]},
            "BULK_SEND_ENVELOPE_CUSTOM_FIELD_DOES_NOT_EXIST_IN_ENVELOPE",
        ),
        (
            {
                "recipients": [
                    {
                        "roleName": "Signer",
                        "name": "A",
                        "email": "a@example.com",
                        "tabs": [{"tabLabel": "nope", "initialValue": "x"}],
                    }
                ]
            },
            "BULK_SEND_TAB_LABEL_DOES_NOT_EXIST_IN_ENVELOPE",
        ),
    ],
)
def test_a_send_that_does_not_match_the_draft_queues_nothing(api, bad_copy, code):
    envelope_id = draft(api)
    list_id = make_list(api, [copy(1), bad_copy]).json()["listId"]
    response = api(
        "POST", f"/bulk_send_lists/{list_id}/send", {"envelopeOrTemplateId": envelope_id}
    )
    assert (response.status_code, response.json()["errorCode"]) == (400, code)
    assert not SimBulkBatch.objects.exists()  # all or nothing


def test_only_a_draft_can_be_bulk_sent(api):
    envelope_id = draft(api, status="sent")
    list_id = make_list(api, [copy(1)]).json()["listId"]
    response = api(
        "POST", f"/bulk_send_lists/{list_id}/send", {"envelopeOrTemplateId": envelope_id}
    )
    assert response.json()["errorCode"] == "BULK_SEND_ENVELOPE_NOT_IN_SENDABLE_STATE"


def test_the_request_body_is_checked_against_docusigns_spec(api):
    response = make_list(api, [{"recipients": [{"roleName": "Signer", "surname": "x"}]}])
    assert response.status_code == 400
