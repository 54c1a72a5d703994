"""The README's commands, exactly as written, after `make run` on a fresh checkout."""

from collections.abc import Iterator

import pytest
import requests

from tests.support.make_run import Checkout, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def checkout(tmp_path) -> Iterator[Checkout]:
    fresh = Checkout(tmp_path)
    yield fresh
    fresh.stop()


def env_values(checkout: Checkout) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in checkout.env_file.read_text().splitlines() if "=" in line
    )


def test_make_run_then_the_readme_commands_then_a_restart(checkout):
    port = free_port()
    url = checkout.start(PORT=str(port))
    assert url == f"http://127.0.0.1:{port}"
    written = env_values(checkout)
    assert written["DJANGO_DEBUG"] == "true"
    assert written["DOCUSIGN_SIMULATOR"] == "true"  # no DocuSign credentials given
    assert written["SITE_URL"] == url  # the hints and the seeded connection follow the port
    text = "".join(checkout.output)
    assert f"{url}/admin/" in text
    assert f"{url}/simulator/inbox/" in text
    assert ":8000" not in text
    user, password = checkout.login()

    check = checkout.manage("docusign_check", "Local simulator")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Local simulator is connected." in check.stdout
    link = checkout.manage("docusign_consent_url", "Local simulator")
    assert link.returncode == 0, link.stderr
    assert link.stdout.strip().startswith(f"{url}/simulator/oauth/auth?")
    assert requests.get(link.stdout.strip(), timeout=10).ok  # the simulator's consent page

    checkout.stop()
    assert checkout.start() == url  # no PORT the second time: the same address
    assert checkout.login() == (user, password)  # and the same password
    checkout.stop()
    checkout.start(RESET_PASSWORD="1")
    assert checkout.login()[1] != password
