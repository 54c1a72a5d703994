"""One request id links the web request, the worker's task and the ApiCall rows of a send;
a scrape afterwards shows the calls, budget, statuses and queue depth of that run."""

import io
import json
import logging
import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from config.celery_app import app
from connections.models import ApiCall
from envelopes.models import Envelope
from ops.logs import JSON_FIELDS, JsonFormatter, RequestContextFilter
from tests.factories import DocumentTemplateFactory, UserFactory
from tests.support.processes import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis broker"),
]

RID = "req-follow-0123456789"


@pytest.fixture
def json_log():
    """Our app's log lines as the production JSON formatter writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter(JSON_FIELDS))
    logger = logging.getLogger("countersign")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.fixture
def real_worker():
    """A Celery worker consuming from the real Redis broker (in a thread of this process)."""
    app.conf.task_always_eager = False
    app.control.purge()  # tasks left by other tests must not run here
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield
    app.conf.task_always_eager = True


def test_one_request_id_follows_a_send_end_to_end(
    client, simulator_connection, real_worker, json_log, settings
):
    settings.METRICS_TOKEN = "t" * 24
    sender = UserFactory(username="sam", permissions=["add_envelope"])
    client.force_login(sender)
    template = DocumentTemplateFactory(
        name="NDA", body="<p>{{ company }} /sig1/</p>", fields=[{"name": "company"}]
    )
    response = client.post(
        reverse("envelopes:compose"),
        {
            "connection": simulator_connection.pk,
            "source": "generated",
            "subject": "Agreement",
            "message": "Please sign",
            "document_template": template.pk,
            "data_company": "Acme",
            "r-TOTAL_FORMS": "1",
            "r-INITIAL_FORMS": "0",
            "r-MIN_NUM_FORMS": "1",
            "r-MAX_NUM_FORMS": "100",
            "r-0-name": "Erin",
            "r-0-email": "erin@example.com",
            "r-0-kind": "signer",
            "r-0-routing_order": "1",
            "action": "send",
        },
        HTTP_X_REQUEST_ID=RID,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["X-Request-ID"] == RID
    envelope = Envelope.objects.get()
    wait_for(
        lambda: Envelope.objects.filter(pk=envelope.pk, status="sent").exists(),
        timeout=30,
        what="the worker to send the envelope",
    )

    lines = [line for line in json_log() if line["request_id"] == RID]
    web = [line for line in lines if not line["task"]]
    task = [line for line in lines if line["task"] == "envelopes.tasks.send_envelope"]
    assert any("queued for sending" in line["message"] for line in web), lines
    assert any("POST /envelopes -> 201" in line["message"] for line in task), lines
    calls = ApiCall.objects.filter(connection=simulator_connection)
    assert calls.exists()
    assert set(calls.values_list("request_id", flat=True)) == {RID}
    assert calls.filter(method="POST", path="/envelopes", status_code=201).count() == 1

    # The scrape after the run shows what happened.
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped.content.decode())
        for s in family.samples
    }
    name = simulator_connection.name
    key = tuple(
        sorted({"connection": name, "operation": "POST /envelopes", "outcome": "success"}.items())
    )
    assert samples[("countersign_docusign_calls_total", key)] == 1
    mints = tuple(sorted({"connection": name, "outcome": "success"}.items()))
    assert samples[("countersign_docusign_token_mints_total", mints)] == 1
    budget = (("account", simulator_connection.account_id),)
    # The shared budget counts eSignature calls; minting a token is the account server's.
    expected_left = (
        settings.DOCUSIGN_HOURLY_LIMIT
        - ApiCall.objects.filter(account_id=simulator_connection.account_id)
        .exclude(path="/oauth/token")
        .count()
    )
    assert samples[("countersign_docusign_budget_remaining", budget)] == expected_left
    status = tuple(sorted({"connection": name, "status": "sent"}.items()))
    assert samples[("countersign_envelopes", status)] == 1
    queue = (("queue", app.conf.task_default_queue),)
    assert samples[("countersign_queue_depth", queue)] == 0
