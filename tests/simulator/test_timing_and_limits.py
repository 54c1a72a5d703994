"""DocuSign's timing and limits in the simulator, switched through simulator.control (and
the admin): slow creates, search lag, burst/hourly/per-envelope limits, dropped
connections, short-lived tokens."""

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from simulator import control
from simulator.models import SimAccessToken, SimBehaviour, SimEnvelope
from tests.simulator.test_esign import create, definition

pytestmark = pytest.mark.django_db


def _lists(api, envelope_id):
    found = api("GET", "/envelopes", from_date="2020-01-01").json()["envelopes"]
    return envelope_id in [e["envelopeId"] for e in found]


def test_search_lag_hides_new_envelopes_from_list_status_changes_only(api):
    control.configure(search_lag_seconds=60)
    envelope_id = create(api)
    assert not _lists(api, envelope_id)
    assert api("GET", f"/envelopes/{envelope_id}").status_code == 200  # GET by ID is current
    SimEnvelope.objects.update(created=timezone.now() - timedelta(seconds=61))
    assert _lists(api, envelope_id)


def test_without_lag_a_new_envelope_is_listed_at_once(api):
    assert _lists(api, create(api))


def test_burst_limit_is_429_with_burst_headers_and_hourly_budget_left(api):
    control.configure(burst_limit=2)
    responses = [api("GET", "") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    refused = responses[-1]
    assert refused.json()["errorCode"] == "BURST_APIINVOCATION_LIMIT_EXCEEDED"
    assert refused["X-BurstLimit-Remaining"] == "0"
    assert refused["X-BurstLimit-Limit"] == "2"
    assert int(refused["X-RateLimit-Remaining"]) > 0  # not the hourly limit
    assert "Retry-After" not in refused


def test_hourly_limit_can_answer_400_as_seen_in_production(api):
    control.configure(hourly_limit=1, hourly_limit_status=400)
    assert api("GET", "").status_code == 200
    refused = api("GET", "")
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "HOURLY_APIINVOCATION_LIMIT_EXCEEDED"
    assert refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["X-RateLimit-Reset"]) > time.time()


def test_polling_one_envelope_too_often_is_400_with_its_own_code(api):
    first, second = create(api), create(api)
    control.configure(envelope_poll_burst_limit=2)
    answers = [api("GET", f"/envelopes/{first}/recipients") for _ in range(2)]
    answers.append(api("GET", f"/envelopes/{first}"))
    assert [r.status_code for r in answers] == [200, 200, 400]
    assert answers[-1].json()["errorCode"] == "Burst_Envelope_Polling_Limit_Exceeded"
    assert api("GET", f"/envelopes/{second}").status_code == 200  # per envelope
    assert api("GET", "/envelopes", envelope_ids=first).status_code == 200  # not polling it


def test_hourly_envelope_polling_limit(api):
    envelope_id = create(api)
    control.configure(envelope_poll_hourly_limit=1)
    assert api("GET", f"/envelopes/{envelope_id}").status_code == 200
    refused = api("GET", f"/envelopes/{envelope_id}/documents")
    assert (refused.status_code, refused.json()["errorCode"]) == (
        400,
        "Hourly_Envelope_Polling_Limit_Exceeded",
    )


def test_updating_one_envelope_too_often_is_400_with_its_own_code(api):
    envelope_id = create(api)
    control.configure(envelope_update_burst_limit=1)
    void = {"status": "voided", "voidedReason": "test"}
    assert api("PUT", f"/envelopes/{envelope_id}", void).status_code == 200
    refused = api("PUT", f"/envelopes/{envelope_id}", void)
    assert (refused.status_code, refused.json()["errorCode"]) == (
        400,
        "Burst_APIInvocation_Envelope_Limit_Exceeded",
    )
    assert api("GET", f"/envelopes/{envelope_id}").status_code == 200  # reads still pass


def test_unavailable_percent_answers_503_before_any_work(api):
    control.configure(unavailable_percent=100)
    response = api("POST", "/envelopes", definition())
    assert (response.status_code, response.json()["errorCode"]) == (503, "SIMULATED_FAULT")
    assert not SimEnvelope.objects.exists()


def test_a_dropped_answer_is_cut_in_half_after_the_work_is_done(api):
    control.drop_connections(operation="Envelopes_PostEnvelopes")
    response = api("POST", "/envelopes", definition())
    body = b"".join(response.streaming_content)
    assert len(body) == int(response["Content-Length"]) // 2
    assert SimEnvelope.objects.count() == 1  # DocuSign did the work
    assert create(api)  # only the next one was dropped


def test_drop_percent_cuts_answers_at_random(api):
    control.configure(drop_percent=100)
    response = api("GET", "")
    assert len(b"".join(response.streaming_content)) == int(response["Content-Length"]) // 2


def test_tokens_can_die_long_before_expires_in(client, world):
    from simulator.oauth.services import JWT_GRANT_TYPE
    from tests.simulator.conftest import make_assertion

    control.configure(token_lifetime_seconds=1)
    answer = client.post(
        "/simulator/oauth/token",
        {"grant_type": JWT_GRANT_TYPE, "assertion": make_assertion(world)},
    ).json()
    assert answer["expires_in"] == 3600  # what DocuSign says
    row = SimAccessToken.objects.get()
    assert row.expires_at <= timezone.now() + timedelta(seconds=1)


def test_expire_tokens_makes_the_next_call_401(api):
    assert api("GET", "").status_code == 200
    assert control.expire_tokens() == 1
    refused = api("GET", "")
    assert (refused.status_code, refused.json()["errorCode"]) == (401, "USER_AUTHENTICATION_FAILED")


def test_configure_refuses_settings_that_do_not_exist():
    with pytest.raises(TypeError, match="no setting 'search_lag'"):
        control.configure(search_lag=5)


def test_reset_forgets_behaviour_and_faults(api):
    control.configure(unavailable_percent=100)
    control.inject_fault(status=500, count=5)
    control.reset()
    assert api("GET", "").status_code == 200
    assert control.behaviour().unavailable_percent == 0


def test_staff_switch_behaviour_in_the_admin(client, superuser, api):
    client.force_login(superuser)
    form = {
        "slow_create_seconds": "0",
        "slow_create_percent": "100",
        "search_lag_seconds": "0",
        "hourly_limit": "",
        "hourly_limit_status": "429",
        "hourly_window_seconds": "3600",
        "burst_limit": "1",
        "envelope_poll_burst_limit": "",
        "envelope_poll_hourly_limit": "",
        "envelope_update_burst_limit": "",
        "envelope_update_hourly_limit": "",
        "unavailable_percent": "0",
        "drop_percent": "0",
        "token_lifetime_seconds": "",
    }
    assert client.post("/admin/simulator/simbehaviour/add/", form).status_code == 302
    assert SimBehaviour.objects.get().pk == 1
    assert [api("GET", "").status_code for _ in range(2)] == [200, 429]
    assert client.get("/admin/simulator/simbehaviour/add/").status_code == 403  # one row


# --- Over real HTTP -----------------------------------------------------------------


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "make_creates_slow",
    [
        lambda: control.slow_creates(seconds=3),
        lambda: control.configure(slow_create_seconds=3, slow_create_percent=100),
    ],
    ids=["next-create", "every-create"],
)
def test_a_create_slower_than_the_read_timeout_still_succeeds_afterwards(
    http_api, make_creates_slow
):
    make_creates_slow()
    with pytest.raises(requests.ReadTimeout):
        http_api("POST", "/envelopes", json=definition(), timeout=(5, 1))
    assert not SimEnvelope.objects.exists()  # not yet: the create is still running
    assert _wait_for(SimEnvelope.objects.exists)
    assert SimEnvelope.objects.get().custom_fields == {"countersign_id": "abc-123"}


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_breaks_the_answer_but_not_the_work(http_api):
    control.drop_connections(operation="Envelopes_PostEnvelopes")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        http_api("POST", "/envelopes", json=definition())
    assert SimEnvelope.objects.count() == 1
    again = http_api("POST", "/envelopes", json=definition())
    assert again.status_code == 201  # the server is fine afterwards


@pytest.mark.django_db(transaction=True)
def test_a_short_lived_token_dies_over_http(http_api):
    assert http_api("GET", "").status_code == 200
    SimAccessToken.objects.update(expires_at=timezone.now())
    assert http_api("GET", "").status_code == 401


def test_other_apps_can_exhaust_the_hourly_limit_of_a_short_hour(api, world):
    control.configure(hourly_window_seconds=60)
    assert api("GET", "").status_code == 200
    ends = control.exhaust_limit(world.account.account_id)
    refused = api("GET", "")
    assert refused.status_code == 429
    assert refused.json()["errorCode"] == "HOURLY_APIINVOCATION_LIMIT_EXCEEDED"
    assert refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["X-RateLimit-Reset"]) == ends  # the end of the short hour
    assert time.time() < ends <= time.time() + 60


def test_other_apps_can_exhaust_the_burst_window(api, world):
    ends = control.exhaust_limit(world.account.account_id, burst=True)
    refused = api("GET", "")
    assert refused.status_code == 429
    assert refused.json()["errorCode"] == "BURST_APIINVOCATION_LIMIT_EXCEEDED"
    assert refused["X-BurstLimit-Remaining"] == "0"
    assert int(refused["X-RateLimit-Remaining"]) > 0  # the hour is not spent
    assert time.time() < ends <= time.time() + 30


def test_a_taken_fault_says_when_and_for_which_envelope(api):
    fault = control.slow_creates(seconds=0.01)
    assert control.fault_taken(fault) is None  # no create has started yet
    api("POST", "/envelopes", definition())
    taken = control.fault_taken(fault)
    assert taken is not None
    assert taken.taken_for == definition()["emailSubject"]
