"""Login throttling counts the client behind the proxies, not the proxy (issue 21): with
TRUSTED_PROXY_COUNT set, five wrong passwords from one client lock out that client only, and
an X-Forwarded-For entry the client makes up does not change the address counted."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
GOOD = "correct horse battery staple"
PROXY = "10.0.0.2"


def login(client, username, password, xff):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=xff,
    )


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def test_two_clients_behind_one_proxy_one_locked_out_the_other_not(client, one_proxy):
    UserFactory(username="carol")
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"made-up-{n}", "wrong", "198.51.100.7")
    assert login(client, "carol", GOOD, "198.51.100.7").status_code == 429
    assert login(client, "carol", GOOD, "203.0.113.9").status_code == 302  # logged in
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_a_spoofed_extra_entry_does_not_change_the_counted_address(client, one_proxy):
    UserFactory(username="carol")
    # The attacker sends a new made-up X-Forwarded-For each time; the proxy appends the
    # address it saw, which is what counts.
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"made-up-{n}", "wrong", f"192.0.2.{n}, 198.51.100.7")
    assert login(client, "carol", GOOD, "192.0.2.200, 198.51.100.7").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    assert login(client, "carol", GOOD, "198.51.100.7, 203.0.113.9").status_code == 302


def test_two_proxies_count_the_second_entry_from_the_right(client, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"made-up-{n}", "wrong", f"192.0.2.{n}, 198.51.100.7, 10.1.1.1")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@pytest.mark.parametrize(
    ("xff", "counted"),
    [
        ("", PROXY),  # came straight to the proxy's port: nothing else is known
        ("not-an-address", PROXY),  # the proxy wrote something unusable
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_odd_headers_fall_back_to_the_nearest_address(client, one_proxy, xff, counted):
    login(client, "made-up", "wrong", xff)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [counted]


def test_without_trusted_proxies_the_header_is_ignored(client):
    assert settings.TRUSTED_PROXY_COUNT == 0
    login(client, "made-up", "wrong", "198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]
