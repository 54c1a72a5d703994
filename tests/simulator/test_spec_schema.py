"""The compact schema the simulator enforces is exactly what derive.py makes of DocuSign's
spec, and covers every operation the simulator's URLs serve."""

import re

import pytest
from django.urls import get_resolver

from simulator.esign import strict
from simulator.esign.schema import derive
from tests.support.spec import missing, spec_path


@pytest.mark.skipif(bool(missing()), reason="DocuSign's spec is missing (see end)")
def test_the_committed_schema_is_what_the_script_derives_from_the_spec():
    assert derive.OUTPUT.read_text() == derive.derive_from(spec_path()), (
        "simulator/esign/schema/docusign.json is stale: run "
        ".venv/bin/python -m simulator.esign.schema.derive"
    )


def test_every_simulated_operation_has_a_url():
    patterns = [
        str(p.pattern)
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        for p in getattr(p, "url_patterns", [p])
    ]
    for op in strict._schema()["operations"].values():
        tail = op["path"].split("{accountId}", 1)[1]
        # {envelopeId} → <str:envelope_id>, {bulkSendBatchId} → <str:bulk_send_batch_id>, …
        tail = re.sub(
            r"\{(\w+)\}",
            lambda m: "<str:" + re.sub(r"(?<!^)([A-Z])", r"_\1", m.group(1)).lower() + ">",
            tail,
        )
        assert any(p.endswith(f"accounts/<str:account_id>{tail}") for p in patterns), op["path"]


def test_the_create_operation_comes_with_its_body_schema_and_query_parameters():
    operation = strict.operation_for("POST", "/v2.1/accounts/a/envelopes")
    assert operation.id == "Envelopes_PostEnvelopes"
    assert operation.validator is not None
    assert "merge_roles_on_draft" in operation.query
