"""Request ids: made or accepted at the web request, carried by Celery task headers."""

from types import SimpleNamespace

import pytest

from common import request_id
from common.request_id import TASK_HEADER, current_request_id, request_id_var


@pytest.mark.django_db
def test_a_sane_incoming_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    assert response["X-Request-ID"] == "lb-0123456789abcdef"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["short", "x" * 65, "has spaces in it", "<script>1234</script>"]
)
def test_an_odd_incoming_id_is_replaced(client, incoming):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=incoming)
    made = response["X-Request-ID"]
    assert made != incoming
    assert len(made) == 32


@pytest.mark.django_db
def test_each_request_gets_its_own_id_and_none_leaks_after(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert first != second
    assert current_request_id() == ""


def test_publishing_a_task_copies_the_id_into_its_headers():
    token = request_id_var.set("rid-publish-123")
    try:
        headers = {}
        request_id._on_publish(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {TASK_HEADER: "rid-publish-123"}


def test_a_worker_restores_the_id_and_clears_it_after():
    task = SimpleNamespace(name="envelopes.tasks.send_envelope", request=SimpleNamespace())
    setattr(task.request, TASK_HEADER, "rid-from-web-1")
    request_id._on_prerun(task_id="t1", task=task)
    assert current_request_id() == "rid-from-web-1"
    assert request_id.task_name_var.get() == "envelopes.tasks.send_envelope"
    request_id._on_postrun(task_id="t1")
    assert current_request_id() == ""


def test_a_scheduled_task_gets_an_id_of_its_own():
    task = SimpleNamespace(name="ops.tasks.heartbeat", request=SimpleNamespace())
    request_id._on_prerun(task_id="t2", task=task)
    try:
        assert current_request_id().startswith("task-")
    finally:
        request_id._on_postrun(task_id="t2")


@pytest.mark.django_db
def test_the_admin_finds_a_sends_calls_by_request_id(client, superuser):
    from connections.models import ApiCall

    ApiCall.objects.create(method="POST", path="/envelopes", request_id="rid-admin-0001")
    ApiCall.objects.create(method="GET", path="/envelopes/{envelopeId}", request_id="rid-other-02")
    client.force_login(superuser)
    page = client.get("/admin/connections/apicall/", {"q": "rid-admin-0001"}).content.decode()
    assert "rid-admin-0001" in page
    assert "rid-other-02" not in page
