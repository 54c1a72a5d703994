"""Shared fixtures: personas, connections, and test-only settings tweaks."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client

from config.celery_app import app as celery_app
from tests.factories import ConnectionFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: object, tmp_path: Any) -> Iterator[None]:
    """Fast hashing, inline Celery tasks (tests that need a real worker opt out), clean cache,
    uploads in a temporary folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    # Drain requests at once, not from a timer thread that would outlive the test.
    settings.ENVELOPES_CONNECT_DRAIN_THROTTLE = 0  # type: ignore[attr-defined]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    cache.clear()
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Connect deliveries a test started end with the test, before its database is reset:
    a delivery still retrying would otherwise write into the next test."""
    try:
        return (yield)
    finally:
        from simulator.esign.bulk_queue import stop_workers
        from simulator.esign.connect import stop_deliveries

        stop_workers()
        stop_deliveries()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say once, at the end, when DocuSign's spec was missing and its checks were skipped."""
    from tests.support.spec import missing

    if missing():
        terminalreporter.write_sep("!", "DocuSign spec missing", yellow=True)
        terminalreporter.write_line(missing())


@pytest.fixture(autouse=True)
def _simulator_requests_match_docusigns_spec() -> Iterator[None]:
    """Every request the simulator accepts must be valid against DocuSign's official spec
    (the full one, beside the repository; the simulator itself checks its compact schema)."""
    from simulator.esign.api import request_observers
    from tests.support.spec import missing, problems

    if missing():
        yield
        return

    seen: list[tuple[str, str, dict[str, str], bytes]] = []
    observer = lambda *request: seen.append(request)  # noqa: E731
    request_observers.append(observer)
    yield
    request_observers.remove(observer)
    found = [p for request in seen for p in problems(*request)]
    listing = "\n".join(found)
    assert not found, f"Requests the simulator accepted but DocuSign's spec rejects:\n{listing}"


@pytest.fixture
def connection(db: None) -> object:
    return ConnectionFactory()


@pytest.fixture
def superuser(db: None) -> object:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_with_connection_perms(db: None) -> object:
    """Alice: staff who may manage connections."""
    user = UserFactory(username="alice", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="connections"))
    return user


@pytest.fixture
def staff_without_perms(db: None) -> object:
    """Bob: staff, but not allowed near connections."""
    return UserFactory(username="bob", is_staff=True)


@pytest.fixture
def app_user(db: None) -> object:
    """Carol: an app user, not staff."""
    return UserFactory(username="carol")


@pytest.fixture
def staff_client(client: Client, staff_with_connection_perms: object) -> Client:
    client.force_login(staff_with_connection_perms)  # type: ignore[arg-type]
    return client


DEMO_AUTH = "https://account-d.docusign.com"


@pytest.fixture
def docusign_hosts(settings: object) -> None:
    """Point the demo environment at DocuSign's real hosts (for `responses` stubs)."""
    settings.DOCUSIGN_DEMO_AUTH_SERVER = DEMO_AUTH  # type: ignore[attr-defined]
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [".docusign.net", ".docusign.com"]  # type: ignore[attr-defined]
    settings.SITE_URL = "https://countersign.example.com"  # type: ignore[attr-defined]


@pytest.fixture
def seeded_connection(live_server: Any, settings: Any) -> Any:
    """The seeded demo connection as `make run` has it, Connect included, talking to the
    simulator over real HTTP (live_server)."""
    from connections.models import Connection
    from simulator.seed import CONNECTION_NAME, seed_simulator

    settings.SITE_URL = live_server.url
    settings.DOCUSIGN_DEMO_AUTH_SERVER = f"{live_server.url}/simulator"
    settings.DOCUSIGN_ALLOWED_API_HOSTS = [".docusign.net", "localhost", "127.0.0.1"]
    settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK = True
    seed_simulator(site_url=live_server.url)
    return Connection.objects.get(name=CONNECTION_NAME)


@pytest.fixture
def simulator_connection(seeded_connection: Any) -> Any:
    """The seeded demo connection without Connect: most tests watch one path at a time
    (tests of Connect set it up themselves)."""
    from simulator.models import SimConnectConfig
    from simulator.seed import CONNECT_NAME

    SimConnectConfig.objects.filter(name=CONNECT_NAME).delete()
    seeded_connection.connect_hmac_secrets = ""
    seeded_connection.save()
    return seeded_connection


# --- personas ---
# The people most tests act as, shared instead of redefined per file (alice, bob, carol and
# root above are the admin's personas).


@pytest.fixture
def sender(db: None) -> Any:
    """Sam: allowed to send envelopes (what the Senders role gives)."""
    return UserFactory(username="sam", email="sam@example.com", permissions=["add_envelope"])


@pytest.fixture
def sender_client(client: Client, sender: Any) -> Client:
    """A browser session logged in as Sam, the sender."""
    client.force_login(sender)
    return client


@pytest.fixture
def signed_in_sender(client: Client, sender: Any) -> Any:
    """Sam, logged in on the test's `client`."""
    client.force_login(sender)
    return sender


@pytest.fixture
def app_signer(db: None) -> Any:
    """Erin: an app user who signs inside the app (a recipient with her email)."""
    return UserFactory(username="erin", email="erin@example.com")


@pytest.fixture
def viewer(db: None) -> Any:
    """Vic: may see every team's and sender's envelopes, and act on none."""
    return UserFactory(username="vic", permissions=["view_all_envelopes"])
