"""The spec check that guards every accepted simulator request really rejects bad ones."""

import json

import pytest

from tests.support.spec import missing, operation_for, problems

pytestmark = pytest.mark.skipif(bool(missing()), reason="DocuSign's spec is missing (see end)")

ENVELOPES = "/v2.1/accounts/abc/envelopes"


def test_a_valid_envelope_definition_passes():
    body = {
        "emailSubject": "Hi",
        "status": "sent",
        "documents": [
            {"documentBase64": "aGk=", "name": "a", "fileExtension": "html", "documentId": "1"}
        ],
        "recipients": {"signers": [{"email": "a@example.com", "name": "A", "recipientId": "1"}]},
    }
    assert problems("POST", ENVELOPES, {}, json.dumps(body).encode()) == []


def test_numbers_misspelt_fields_and_unknown_query_parameters_are_caught():
    found = problems(
        "POST", ENVELOPES, {"bogus": "1"}, json.dumps({"status": 1, "emailSubjekt": "x"}).encode()
    )
    assert any("query parameter 'bogus'" in p for p in found)
    assert any("1 is not of type 'string'" in p for p in found)
    assert any("'emailSubjekt' was unexpected" in p for p in found)


def test_literal_segments_win_over_parameters():
    assert operation_for("PUT", "/v2.1/accounts/abc/envelopes/status")[0].endswith(
        "/envelopes/status"
    )
    assert operation_for("GET", "/v2.1/accounts/abc/envelopes/e1")[0].endswith("/{envelopeId}")
